import type { ProgressState } from "./progress.ts";
import type { Role } from "./role.ts";

/** The leader's view of one peer. */
export interface PeerView {
  readonly id: string;
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly ackedRound: number;
  readonly lastContactTick: number;
  /** Appends in flight (replicate state). */
  readonly inflight: number;
}

/** A read-only snapshot of one node's consensus state. */
export interface RaftView {
  readonly id: string;
  readonly term: number;
  readonly vote: string;
  /** "" when no leader is known. */
  readonly leader: string;
  readonly role: Role;
  /** The node's tick counter (its clock for leases and contact). */
  readonly nowTick: number;
  /** Ticks since the last contact with a leader (followers), or since the last check-quorum sweep (leaders). */
  readonly electionElapsed: number;
  readonly leadTransferee: string;
  readonly pendingPromotions: readonly string[];
  /** Leader only: every other member. */
  readonly peers: readonly PeerView[];
}
