import { Code, ConnectError } from "@connectrpc/connect";
import { EngineError } from "../engine/engine-error.ts";
import { RaftNotLeaderError } from "../engine/not-leader-error.ts";
import { notProposedMetadata } from "./not-proposed.ts";

/** Maps engine failures to the Connect code a client can act on. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof EngineError) {
    switch (error.reason) {
      case "shutdown":
        return new ConnectError(error.message, Code.Unavailable, undefined, undefined, error);
      case "notLeader": {
        const notProposed = error instanceof RaftNotLeaderError && !error.proposed;
        return new ConnectError(error.message, Code.Unavailable, notProposed ? notProposedMetadata() : undefined, undefined, error);
      }
      case "timeout":
        return new ConnectError(error.message, Code.DeadlineExceeded, undefined, undefined, error);
      case "aborted":
        return new ConnectError(error.message, Code.Canceled, undefined, undefined, error);
      case "storage":
        return new ConnectError(error.message, Code.Internal, undefined, undefined, error);
      case "outcomeUnknown":
        // The same signal as a timeout: clients treat it as "may or may not have been applied".
        return new ConnectError(error.message, Code.DeadlineExceeded, undefined, undefined, error);
      case "guardMismatch":
        return new ConnectError(error.message, Code.FailedPrecondition, undefined, undefined, error);
      case "changePending":
        return new ConnectError(error.message, Code.Aborted, undefined, undefined, error);
      case "invalid":
        return new ConnectError(error.message, Code.InvalidArgument, undefined, undefined, error);
      case "unsafe":
        return new ConnectError(error.message, Code.FailedPrecondition, undefined, undefined, error);
      default: {
        const unreachable: never = error.reason;
        return new ConnectError(`unknown engine error ${String(unreachable)}`, Code.Internal);
      }
    }
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}
