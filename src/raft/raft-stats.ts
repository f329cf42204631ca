import type { Membership } from "./membership.ts";
import type { Role } from "./role.ts";

export interface PeerStats {
  readonly id: string;
  readonly match: number;
  readonly next: number;
  readonly state: "probe" | "replicate" | "snapshot";
  /** Ticks since the leader last heard from this peer. */
  readonly ticksSinceContact: number;
}

export interface RaftStats {
  readonly id: string;
  readonly role: Role;
  readonly term: number;
  readonly vote: string;
  readonly leader: string;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastSnapshotIndex: number;
  readonly lastSnapshotTerm: number;
  readonly membership: Membership;
  /** Ticks since a follower last heard from the leader (0 on the leader). */
  readonly ticksSinceLeaderContact: number;
  /** Leader only: replication state of every other member. */
  readonly peers: readonly PeerStats[];
  readonly leadTransferee: string;
  readonly pendingPromotions: readonly string[];
}

/** A cheap subset of RaftStats for per-request use. */
export interface RaftStatus {
  readonly role: Role;
  readonly term: number;
  /** "" when no leader is known. */
  readonly leader: string;
  readonly commitIndex: number;
  readonly lastLogIndex: number;
}
