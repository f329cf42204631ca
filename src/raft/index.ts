/** The pure Raft core's public surface. */

export type { RaftConfig } from "./config.ts";
export type { Entry, EntryKind } from "./entry.ts";
export type { HardState } from "./hard-state.ts";
export type { Member, Membership, Suffrage } from "./membership.ts";
export type { MembershipChange } from "./membership-change.ts";
export { decodeMembership, encodeMembers } from "./membership-codec.ts";
export { MemoryStorage } from "./memory-storage.ts";
export type { Message, MessageKind } from "./message.ts";
export { canSendBeforePersist } from "./message.ts";
export type { AcceptResult, ProposalResult, Refusal, RefusalKind } from "./proposal-result.ts";
export type { RaftEvent } from "./raft-event.ts";
export type { PeerStats, RaftStats } from "./raft-stats.ts";
export { bootstrapEntries, RawNode } from "./raw-node.ts";
export type { ReadState } from "./read-state.ts";
export type { Ready } from "./ready.ts";
export type { Role } from "./role.ts";
export type { SnapshotMeta } from "./snapshot-meta.ts";
export type { RaftStorage } from "./storage.ts";
export { isStorableTerm, maxTerm } from "./term-limit.ts";
