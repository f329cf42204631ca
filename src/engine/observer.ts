/** How a proposal ended, as its proposer saw it. */
export type ProposalOutcome =
  /** Committed and applied; the proposer got the state machine's answer. */
  | "applied"
  /** Refused before it entered any log: this node does not lead (the service may forward it). */
  | "not_leader"
  /** Its deadline passed or its caller gave up; if it was appended, it may still apply. */
  | "timeout"
  /** It left this node but leadership, storage or the process went before its outcome was known. */
  | "unknown"
  /** Refused for another reason (shutting down, storage stopped). */
  | "failed";

/**
 * Events of a running engine, for metrics. Every callback is optional and
 * called synchronously on the event loop, so an implementation must be
 * cheap (a counter increment, a histogram observation). Durations are in
 * milliseconds of the engine's scheduler, so the simulator sees virtual time.
 * Kept free of any metrics library: the node wires it to one.
 */
export interface RaftObserver {
  /** A Ready's entries and hard state were written to the log (one transaction, one fsync). */
  persisted?(ms: number, entries: number): void;
  /** Committed entries were applied to the state machine (one transaction). */
  applied?(ms: number, entries: number): void;
  /** The leader this node knows changed to a known one (not to "no leader"). */
  leaderChanged?(leaderId: string, term: number): void;
  proposalDone?(outcome: ProposalOutcome): void;
  /** This node took a snapshot of its state machine. */
  snapshotTaken?(ms: number, bytes: number, index: number): void;
  /** A snapshot received from the leader replaced the state machine. */
  snapshotInstalled?(bytes: number, index: number): void;
}
