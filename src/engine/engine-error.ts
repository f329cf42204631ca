/**
 * Why a proposal or read could not be served. The service layer maps each
 * reason to a Connect code; keeping the reason typed (not a message string)
 * keeps that mapping exhaustive.
 */
export type EngineErrorReason =
  | "shutdown"
  | "not_leader"
  | "timeout"
  | "aborted"
  | "storage"
  /** A membership change's previous-index guard no longer matches the configuration. */
  | "guard_mismatch"
  /** Another membership change (or a leadership transfer) is still in progress. */
  | "change_pending"
  /** The operation can never succeed as asked (unknown server, last voter, ...). */
  | "invalid";

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
