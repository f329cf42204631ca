import { ConnectError } from "@connectrpc/connect";

/**
 * A write failed in a way that does not tell whether it was applied (the node
 * died or timed out after receiving it). The client does not retry it: doing
 * so could apply it twice. The code is the underlying failure's code.
 *
 * Its name stays "ConnectError" because ConnectError's instanceof check goes
 * by name; `instanceof WriteOutcomeUnknownError` checks the prototype.
 */
export class WriteOutcomeUnknownError extends ConnectError {
  readonly outcomeUnknown = true;

  constructor(
    readonly method: string,
    readonly endpoint: string,
    cause: ConnectError,
  ) {
    super(
      `${method} to ${endpoint}: outcome unknown (the write may or may not have been applied; not retried): ${cause.rawMessage}`,
      cause.code,
      cause.metadata,
      undefined,
      cause,
    );
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && Object.prototype.isPrototypeOf.call(WriteOutcomeUnknownError.prototype, value);
  }
}
