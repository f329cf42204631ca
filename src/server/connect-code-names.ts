import { Code } from "@connectrpc/connect";

/**
 * Connect's names and HTTP statuses for its codes, as the Connect protocol
 * specifies them (connectrpc.com/docs/protocol#error-codes). Written here
 * because connect-es's own helpers are marked internal (no semver promise).
 */
export function codeName(code: Code): string {
  switch (code) {
    case Code.Canceled:
      return "canceled";
    case Code.Unknown:
      return "unknown";
    case Code.InvalidArgument:
      return "invalid_argument";
    case Code.DeadlineExceeded:
      return "deadline_exceeded";
    case Code.NotFound:
      return "not_found";
    case Code.AlreadyExists:
      return "already_exists";
    case Code.PermissionDenied:
      return "permission_denied";
    case Code.ResourceExhausted:
      return "resource_exhausted";
    case Code.FailedPrecondition:
      return "failed_precondition";
    case Code.Aborted:
      return "aborted";
    case Code.OutOfRange:
      return "out_of_range";
    case Code.Unimplemented:
      return "unimplemented";
    case Code.Internal:
      return "internal";
    case Code.Unavailable:
      return "unavailable";
    case Code.DataLoss:
      return "data_loss";
    case Code.Unauthenticated:
      return "unauthenticated";
    default:
      // Exhaustive; a number from a peer that is no Code still gets a name.
      return String(code satisfies never);
  }
}

/** The HTTP status a Connect unary error answers with. */
export function httpStatusOfCode(code: Code): number {
  switch (code) {
    case Code.Canceled:
      return 499;
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
      return 400;
    case Code.DeadlineExceeded:
      return 504;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
    case Code.Aborted:
      return 409;
    case Code.PermissionDenied:
      return 403;
    case Code.ResourceExhausted:
      return 429;
    case Code.Unimplemented:
      return 501;
    case Code.Unavailable:
      return 503;
    case Code.Unauthenticated:
      return 401;
    case Code.Unknown:
    case Code.Internal:
    case Code.DataLoss:
      return 500;
    default:
      // Exhaustive; a number that is no Code answers as Unknown does.
      code satisfies never;
      return 500;
  }
}
