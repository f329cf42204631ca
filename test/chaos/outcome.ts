import { Code, ConnectError } from "@connectrpc/connect";

/**
 * How a failed request is recorded. "fail" = it certainly did not take
 * effect; "info" = it may or may not have (the request may have reached the
 * node before the answer was lost).
 */
export type FailureOutcome = { readonly kind: "fail"; readonly reason: string } | { readonly kind: "info"; readonly reason: string };

/** Connection errors that happen before a single request byte is sent. */
const neverSentErrnos = new Set(["ECONNREFUSED"]);

export function classifyFailure(error: unknown): FailureOutcome {
  if (!(error instanceof ConnectError)) return { kind: "info", reason: `non-RPC error: ${String(error)}` };
  const reason = `${Code[error.code]}: ${error.rawMessage}`;
  switch (error.code) {
    // Rejected by validation before anything is proposed.
    case Code.InvalidArgument:
    case Code.OutOfRange:
    case Code.ResourceExhausted:
    case Code.FailedPrecondition:
    case Code.Unimplemented:
    case Code.PermissionDenied:
    case Code.Unauthenticated:
    case Code.NotFound:
    case Code.AlreadyExists:
      return { kind: "fail", reason };
    case Code.Unavailable:
      return neverSent(error) ? { kind: "fail", reason } : { kind: "info", reason };
    // A deadline, a reset stream, an unknown or internal error: the request
    // may have been applied before the answer was lost.
    case Code.Canceled:
    case Code.Unknown:
    case Code.DeadlineExceeded:
    case Code.Aborted:
    case Code.Internal:
    case Code.DataLoss:
      return { kind: "info", reason };
    default: {
      const unreachable: never = error.code;
      return { kind: "info", reason: `unexpected code ${String(unreachable)}` };
    }
  }
}

function neverSent(error: ConnectError): boolean {
  const cause: unknown = error.cause;
  if (typeof cause !== "object" || cause === null || !("code" in cause)) return false;
  return typeof cause.code === "string" && neverSentErrnos.has(cause.code);
}
