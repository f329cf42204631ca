import type { Entry } from "./entry.ts";
import type { Member, Membership, Suffrage } from "./membership.ts";

/** Config entries carry their member list as JSON; the index comes from the entry. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMembers(members: readonly Member[]): Uint8Array {
  // An unrecorded incarnation is left out, so configurations written before incarnations existed read back the same.
  const plain = members.map((m) =>
    m.incarnation === undefined || m.incarnation === ""
      ? { id: m.id, suffrage: m.suffrage, raftAddress: m.raftAddress, clientAddress: m.clientAddress }
      : { id: m.id, suffrage: m.suffrage, raftAddress: m.raftAddress, clientAddress: m.clientAddress, incarnation: m.incarnation },
  );
  return encoder.encode(JSON.stringify({ members: plain }));
}

/** The incarnation a configuration records for a member ("" when not recorded). */
export function incarnationOf(member: Member): string {
  return member.incarnation ?? "";
}

function isSuffrage(value: unknown): value is Suffrage {
  return value === "voter" || value === "nonvoter";
}

function decodeMember(raw: unknown, at: number): Member {
  if (typeof raw !== "object" || raw === null) throw new Error(`config entry ${at}: member is not an object`);
  const r = raw as Record<string, unknown>;
  const { id, suffrage, raftAddress, clientAddress, incarnation } = r;
  if (
    typeof id !== "string" ||
    !isSuffrage(suffrage) ||
    typeof raftAddress !== "string" ||
    typeof clientAddress !== "string" ||
    (incarnation !== undefined && typeof incarnation !== "string")
  ) {
    throw new Error(`config entry ${at}: malformed member ${JSON.stringify(raw)}`);
  }
  return incarnation === undefined || incarnation === ""
    ? { id, suffrage, raftAddress, clientAddress }
    : { id, suffrage, raftAddress, clientAddress, incarnation };
}

/** Decodes a config entry's payload into the Membership it establishes. */
export function decodeMembership(entry: Entry): Membership {
  if (entry.kind !== "config") throw new Error(`entry ${entry.index} is ${entry.kind}, not config`);
  const parsed: unknown = JSON.parse(decoder.decode(entry.data));
  if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { members?: unknown }).members)) {
    throw new Error(`config entry ${entry.index}: no member list`);
  }
  const members = (parsed as { members: unknown[] }).members.map((m) => decodeMember(m, entry.index));
  return { members, index: entry.index };
}

export function voterIds(membership: Membership): string[] {
  return membership.members.filter((m) => m.suffrage === "voter").map((m) => m.id);
}

export function findMember(membership: Membership, id: string): Member | undefined {
  return membership.members.find((m) => m.id === id);
}
