/**
 * Why a proposal or read could not be served. The service layer maps each
 * reason to a Connect code; keeping the reason typed (not a message string)
 * keeps that mapping exhaustive.
 */
export type EngineErrorReason =
  | "shutdown"
  | "notLeader"
  | "timeout"
  | "aborted"
  | "storage"
  /**
   * The write may or may not take effect: it left this node (it is in the
   * log, and maybe on followers) but the node lost leadership, storage or
   * its process before it knew. Never a definite failure.
   */
  | "outcomeUnknown"
  /** A membership change's previous-index guard no longer matches the configuration. */
  | "guardMismatch"
  /** Another membership change (or a leadership transfer) is still in progress. */
  | "changePending"
  /** The operation can never succeed as asked (unknown server, last voter, ...). */
  | "invalid"
  /** The operation would leave the cluster without a quorum in contact; it may succeed once the missing voters return. */
  | "unsafe";

export class EngineError extends Error {
  constructor(
    readonly reason: EngineErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "EngineError";
  }
}
