/** Why the client port closed a connection before the client was done with it. */
export type ClientConnectionRejection =
  /** Past --max-client-connections, closed at accept. */
  | "connection-limit"
  /** No TLS handshake, HTTP/2 preface or first request byte within --client-header-timeout. */
  | "first-bytes-timeout"
  /** An HTTP/1.1 request whose headers did not complete within --client-header-timeout. */
  | "header-timeout"
  /** A request body not complete within --client-body-timeout of its headers (HTTP/1.1 connection or HTTP/2 stream). */
  | "body-timeout";

/**
 * Counts kept by the client port for metrics: connections open now and
 * connections (or HTTP/2 streams) cut, by reason. Created by the node so its
 * metrics can read them before the server exists.
 */
export class ClientConnectionCounts {
  open = 0;
  // A Record, so a new reason without a count is a compile error.
  private readonly rejected: Record<ClientConnectionRejection, number> = {
    "connection-limit": 0,
    "first-bytes-timeout": 0,
    "header-timeout": 0,
    "body-timeout": 0,
  };

  reject(reason: ClientConnectionRejection): void {
    this.rejected[reason]++;
  }

  rejectedByReason(): Readonly<Record<ClientConnectionRejection, number>> {
    return { ...this.rejected };
  }
}
