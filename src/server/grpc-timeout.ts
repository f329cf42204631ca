import { Code, ConnectError } from "@connectrpc/connect";

/** A call's `grpc-timeout` header read: no header, a timeout, or the error to answer with. */
export type GrpcTimeout = { readonly timeoutMs?: number; readonly error?: undefined } | { readonly timeoutMs?: undefined; readonly error: ConnectError };

/** Milliseconds per unit: Hours, Minutes, Seconds, milliseconds, microseconds, nanoseconds. */
const msPerUnit: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/**
 * Reads the gRPC deadline header, `TimeoutValue TimeoutUnit` in the gRPC
 * over HTTP/2 spec: 1 to 8 ASCII digits, then one of H M S m u n. Written here
 * rather than imported: connect-es's own parser is marked internal.
 * A timeout above `maxTimeoutMs` is refused, as is anything malformed.
 */
export function parseGrpcTimeout(value: string | null, maxTimeoutMs: number): GrpcTimeout {
  if (value === null) return {};
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  const unit = match?.[2] === undefined ? undefined : msPerUnit[match[2]];
  if (match === null || unit === undefined) {
    return { error: new ConnectError(`protocol error: invalid grpc timeout value: ${value}`, Code.InvalidArgument) };
  }
  const timeoutMs = Number(match[1]) * unit;
  if (timeoutMs > maxTimeoutMs) return { error: new ConnectError(`timeout ${timeoutMs}ms must be <= ${maxTimeoutMs}`, Code.InvalidArgument) };
  return { timeoutMs };
}
