/**
 * Cluster membership as the core sees it. Addresses are opaque to the core:
 * it carries them so that every node can see every member's raft and client
 * address (the engine dials them; the service forwards to them).
 */
export type Suffrage = "voter" | "nonvoter";

export interface Member {
  readonly id: string;
  readonly suffrage: Suffrage;
  readonly raftAddress: string;
  readonly clientAddress: string;
}

export interface Membership {
  readonly members: readonly Member[];
  /** Index of the log entry that carried this configuration (0 = bootstrap). */
  readonly index: number;
}

export const emptyMembership: Membership = { members: [], index: 0 };
