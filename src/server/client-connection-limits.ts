/**
 * What one client (or many) may hold on the client port. Every bound is far
 * above what an ordinary client meets; together they keep idle, slow and
 * half-sent connections from holding the node's memory and sockets forever.
 */
export interface ClientConnectionLimits {
  /** Connections open at once; one past it is closed at accept. */
  readonly maxConnections: number;
  /** HTTP/2 streams one connection may have open, advertised in SETTINGS; the client queues the rest. */
  readonly maxConcurrentStreams: number;
  /**
   * A connection with nothing in flight (an HTTP/2 session without an open
   * stream, an HTTP/1.1 keep-alive socket between requests) is closed after
   * this long: GOAWAY on HTTP/2, FIN on HTTP/1.1 (advertised in `Keep-Alive: timeout=`).
   */
  readonly idleTimeoutMs: number;
  /** First bytes of a new connection (TLS handshake, HTTP/2 preface) and each HTTP/1.1 request's headers must arrive within this. */
  readonly headerTimeoutMs: number;
  /** A request body must be complete this long after its headers (every method's request is one message). */
  readonly bodyTimeoutMs: number;
}

export const defaultClientConnectionLimits: ClientConnectionLimits = {
  maxConnections: 10_000,
  maxConcurrentStreams: 256,
  idleTimeoutMs: 5 * 60_000,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
};

/** Throws naming the field when a limit is not a positive integer. */
export function checkClientConnectionLimits(limits: ClientConnectionLimits): ClientConnectionLimits {
  for (const [field, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`client connection limit ${field} must be a positive integer, got ${String(value)}`);
  }
  // SETTINGS_MAX_CONCURRENT_STREAMS is a 32-bit field.
  if (limits.maxConcurrentStreams > 0xffff_ffff)
    throw new Error(`client connection limit maxConcurrentStreams must be at most 2^32-1, got ${limits.maxConcurrentStreams}`);
  return limits;
}
