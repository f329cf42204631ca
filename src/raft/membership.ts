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
  /**
   * The data dir this member's log lives in (a random id made when the dir
   * was created). A member is that id in that data dir: an empty or
   * re-created dir under the same id is another incarnation and must not vote
   * or be counted as the member the configuration lists. "" (or absent): not
   * recorded yet (a static bootstrap, or a configuration written before
   * incarnations existed); the member fills it in when it advertises itself.
   */
  readonly incarnation?: string;
}

export interface Membership {
  readonly members: readonly Member[];
  /** Index of the log entry that carried this configuration (0 = bootstrap). */
  readonly index: number;
}

export const emptyMembership: Membership = { members: [], index: 0 };
