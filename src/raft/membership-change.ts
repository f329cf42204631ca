import type { Member, Membership } from "./membership.ts";
import { findMember, incarnationOf } from "./membership-codec.ts";

/**
 * Operator membership changes (hashicorp/raft's API), plus a member's own
 * address and incarnation update. `incarnation` on an add is the data dir of
 * the node asking (a `--join`); "" or absent when an operator adds a server
 * by hand (the server fills it in when it first advertises itself).
 */
export type MembershipChange =
  | { readonly kind: "addVoter"; readonly id: string; readonly raftAddress: string; readonly clientAddress: string; readonly incarnation?: string }
  | { readonly kind: "addNonvoter"; readonly id: string; readonly raftAddress: string; readonly clientAddress: string; readonly incarnation?: string }
  | { readonly kind: "demoteVoter"; readonly id: string }
  | { readonly kind: "removeServer"; readonly id: string }
  /** A member's own addresses and incarnation: never changes its suffrage, never replaces a recorded incarnation. */
  | { readonly kind: "updateMember"; readonly id: string; readonly raftAddress: string; readonly clientAddress: string; readonly incarnation: string };

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

function memberOf(id: string, suffrage: Member["suffrage"], raftAddress: string, clientAddress: string, incarnation: string): Member {
  return incarnation === "" ? { id, suffrage, raftAddress, clientAddress } : { id, suffrage, raftAddress, clientAddress, incarnation };
}

function sameAddresses(member: Member, raftAddress: string, clientAddress: string): boolean {
  return member.raftAddress === raftAddress && member.clientAddress === clientAddress;
}

/**
 * True when `asked` is another data dir than the one recorded for `existing`:
 * a node that lost its log (or a new one reusing the id) asks to join. An
 * unrecorded incarnation counts as another one, because the node asking
 * through a join holds an empty log whatever was recorded.
 */
function isReplacement(existing: Member, asked: string): boolean {
  return asked !== "" && incarnationOf(existing) !== asked;
}

/** The member list a change leads to, or why it cannot be made. */
export function planChange(current: Membership, change: MembershipChange): ChangeOutcome {
  const existing = findMember(current, change.id);
  switch (change.kind) {
    case "addVoter": {
      const asked = change.incarnation ?? "";
      const staged = memberOf(change.id, "nonvoter", change.raftAddress, change.clientAddress, asked);
      if (existing === undefined) return { kind: "stageThenPromote", members: replace(current.members, staged) };
      // Another incarnation under a listed id: it must never count as the member the configuration
      // lists (its log is not that member's), so it re-enters as a nonvoter and is promoted once caught up.
      if (isReplacement(existing, asked)) return { kind: "stageThenPromote", members: replace(current.members, staged) };
      const incarnation = incarnationOf(existing);
      if (existing.suffrage === "voter") {
        if (sameAddresses(existing, change.raftAddress, change.clientAddress)) return { kind: "noop" };
        return { kind: "members", members: replace(current.members, memberOf(change.id, "voter", change.raftAddress, change.clientAddress, incarnation)) };
      }
      if (!sameAddresses(existing, change.raftAddress, change.clientAddress)) {
        return {
          kind: "stageThenPromote",
          members: replace(current.members, memberOf(change.id, "nonvoter", change.raftAddress, change.clientAddress, incarnation)),
        };
      }
      return { kind: "stageThenPromote", members: current.members.slice() };
    }
    case "addNonvoter": {
      const asked = change.incarnation ?? "";
      const member = memberOf(change.id, "nonvoter", change.raftAddress, change.clientAddress, asked);
      if (existing === undefined) return { kind: "members", members: replace(current.members, member) };
      if (existing.suffrage === "voter" && !isReplacement(existing, asked)) {
        return { kind: "invalid", reason: `server ${change.id} is a voter; demote it instead` };
      }
      if (isReplacement(existing, asked)) return { kind: "members", members: replace(current.members, member) };
      if (sameAddresses(existing, change.raftAddress, change.clientAddress)) return { kind: "noop" };
      return {
        kind: "members",
        members: replace(current.members, memberOf(change.id, "nonvoter", change.raftAddress, change.clientAddress, incarnationOf(existing))),
      };
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
    case "updateMember": {
      if (existing === undefined) return { kind: "invalid", reason: `server ${change.id} is not a member` };
      const recorded = incarnationOf(existing);
      if (recorded !== "" && change.incarnation !== "" && recorded !== change.incarnation) {
        return {
          kind: "invalid",
          reason: `server ${change.id} is recorded with data dir incarnation ${recorded}, not ${change.incarnation}: remove it and let it join again`,
        };
      }
      const incarnation = recorded === "" ? change.incarnation : recorded;
      if (sameAddresses(existing, change.raftAddress, change.clientAddress) && incarnation === recorded) return { kind: "noop" };
      return {
        kind: "members",
        members: replace(current.members, memberOf(change.id, existing.suffrage, change.raftAddress, change.clientAddress, incarnation)),
      };
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
