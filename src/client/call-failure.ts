import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Set to "true" by a server on an UNAVAILABLE answer to a write it refused
 * before the write entered any Raft log (not the leader and could not
 * forward). The client then knows the write can go to another node.
 */
export const WRITE_NOT_PROPOSED_HEADER = "raftkv-write-not-proposed";

/**
 * Why an attempt failed, as far as retrying is concerned:
 * - `not-sent`: the request provably never entered any log (connection
 *   refused, GOAWAY before the stream opened, a refusal the server marks),
 *   so any call, writes included, may go to another endpoint;
 * - `node-failed`: the node could not serve it (down, reset mid-call,
 *   unavailable, timed out), so a read may go elsewhere but a write's
 *   outcome is unknown;
 * - `final`: the server's answer (bad input, failed precondition, ...) that
 *   another attempt would not change.
 */
export type CallFailure =
  | { readonly kind: "not-sent"; readonly error: ConnectError }
  | { readonly kind: "node-failed"; readonly error: ConnectError }
  | { readonly kind: "final"; readonly error: ConnectError };

/** Node/Bun socket errors raised before a single request byte left the client. */
const NOT_SENT_CAUSE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ERR_HTTP2_GOAWAY_SESSION"]);

/**
 * Messages of the current server's refusals made before proposing. A stopgap
 * until every such refusal carries WRITE_NOT_PROPOSED_HEADER; matching text
 * can only err towards reporting an error, never towards a double write,
 * because every pattern names a refusal that happens before the log.
 */
const NOT_PROPOSED_MESSAGES: readonly RegExp[] = [
  /cannot forward the write/,
  /is not forwarded again/,
  /^node \S+ is not the leader:/,
  /forwarded the write to leader .*ECONNREFUSED/,
  /connection establishment timed out/,
  /REFUSED_STREAM/,
  /New streams cannot be created after receiving a GOAWAY/,
];

function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  let reason = error;
  while (reason instanceof Error && !chain.includes(reason) && chain.length < 16) {
    chain.push(reason);
    reason = reason.cause;
  }
  return chain;
}

function nodeErrorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (const link of causeChain(error)) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/** True when some link of the cause chain comes from the client's own socket or fetch layer. */
function failedOnTheWire(error: ConnectError): boolean {
  return causeChain(error).some((link) => link !== error && (typeof (link as { code?: unknown }).code === "string" || link instanceof TypeError));
}

export function classifyCallFailure(thrown: unknown): CallFailure {
  const error = ConnectError.from(thrown);
  if (nodeErrorCodes(error).some((code) => NOT_SENT_CAUSE_CODES.has(code))) return { kind: "not-sent", error };
  if (error.metadata.get(WRITE_NOT_PROPOSED_HEADER) === "true") return { kind: "not-sent", error };
  switch (error.code) {
    case Code.Unavailable:
      if (NOT_PROPOSED_MESSAGES.some((pattern) => pattern.test(error.rawMessage))) return { kind: "not-sent", error };
      return { kind: "node-failed", error };
    case Code.DeadlineExceeded:
      return { kind: "node-failed", error };
    case Code.Internal:
      // Connect-node reports an HTTP/2 GOAWAY as Internal; the stream never opened.
      if (NOT_PROPOSED_MESSAGES.some((pattern) => pattern.test(error.rawMessage))) return { kind: "not-sent", error };
      return failedOnTheWire(error) ? { kind: "node-failed", error } : { kind: "final", error };
    case Code.Canceled:
      // The caller's own cancellation is handled before classifying; this one is an
      // HTTP/2 stream reset (CANCEL) by a closing node, after the request may have arrived.
      return { kind: "node-failed", error };
    case Code.Aborted:
    case Code.Unknown:
      // A reset connection (ECONNRESET → Aborted), a session torn down, a failed fetch.
      return failedOnTheWire(error) ? { kind: "node-failed", error } : { kind: "final", error };
    default:
      return { kind: "final", error };
  }
}
