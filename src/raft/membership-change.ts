import type { Member, Membership } from "./membership.ts";
import { findMember } from "./membership-codec.ts";

/** Operator membership changes (hashicorp/raft's API). */
export type MembershipChange =
  | { readonly kind: "addVoter"; readonly id: string; readonly raftAddress: string; readonly clientAddress: string }
  | { readonly kind: "addNonvoter"; readonly id: string; readonly raftAddress: string; readonly clientAddress: string }
  | { readonly kind: "demoteVoter"; readonly id: string }
  | { readonly kind: "removeServer"; readonly id: string };

export type ChangeOutcome =
  | { readonly kind: "members"; readonly members: Member[] }
  /** addVoter of a server that must first catch up as a nonvoter. */
  | { readonly kind: "stageThenPromote"; readonly members: Member[] }
  | { readonly kind: "noop" }
  | { readonly kind: "invalid"; readonly reason: string };

function replace(members: readonly Member[], member: Member): Member[] {
  const out = members.filter((m) => m.id !== member.id);
  out.push(member);
  return out;
}

/** The member list a change leads to, or why it cannot be made. */
export function planChange(current: Membership, change: MembershipChange): ChangeOutcome {
  const existing = findMember(current, change.id);
  switch (change.kind) {
    case "addVoter": {
      const staged: Member = { id: change.id, suffrage: "nonvoter", raftAddress: change.raftAddress, clientAddress: change.clientAddress };
      if (existing === undefined) return { kind: "stageThenPromote", members: replace(current.members, staged) };
      if (existing.suffrage === "voter") {
        if (existing.raftAddress === change.raftAddress && existing.clientAddress === change.clientAddress) return { kind: "noop" };
        return { kind: "members", members: replace(current.members, { ...staged, suffrage: "voter" }) };
      }
      if (existing.raftAddress !== change.raftAddress || existing.clientAddress !== change.clientAddress) {
        return { kind: "stageThenPromote", members: replace(current.members, staged) };
      }
      return { kind: "stageThenPromote", members: current.members.slice() };
    }
    case "addNonvoter": {
      const member: Member = { id: change.id, suffrage: "nonvoter", raftAddress: change.raftAddress, clientAddress: change.clientAddress };
      if (existing === undefined) return { kind: "members", members: replace(current.members, member) };
      if (existing.suffrage === "voter") return { kind: "invalid", reason: `server ${change.id} is a voter; demote it instead` };
      if (existing.raftAddress === change.raftAddress && existing.clientAddress === change.clientAddress) return { kind: "noop" };
      return { kind: "members", members: replace(current.members, member) };
    }
    case "demoteVoter": {
      if (existing === undefined) return { kind: "invalid", reason: `server ${change.id} is not a member` };
      if (existing.suffrage === "nonvoter") return { kind: "noop" };
      return { kind: "members", members: replace(current.members, { ...existing, suffrage: "nonvoter" }) };
    }
    case "removeServer": {
      if (existing === undefined) return { kind: "noop" };
      return { kind: "members", members: current.members.filter((m) => m.id !== change.id) };
    }
    default: {
      const unreachable: never = change;
      throw new Error(`unknown membership change ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Promoting a caught-up nonvoter. */
export function promoted(current: Membership, id: string): Member[] | undefined {
  const existing = findMember(current, id);
  if (existing === undefined || existing.suffrage === "voter") return undefined;
  return replace(current.members, { ...existing, suffrage: "voter" });
}
