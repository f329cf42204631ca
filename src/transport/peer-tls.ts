import type { X509Certificate } from "node:crypto";
import type { TLSOptions } from "bun";

/**
 * Mutual TLS on the Raft port, as the transport needs it. Options are asked
 * for per connection, so certificates replaced on disk are used by the next
 * connection. Undefined options refuse the connection (no certificate valid now).
 */
export interface PeerTls {
  /** For accepting a connection: this node's certificate, the peer CA, a client certificate required. */
  serverOptions(): TLSOptions | undefined;
  /** For dialing a peer: this node's certificate and the peer CA (host names are not checked; member ids are). */
  clientOptions(): TLSOptions | undefined;
  /** True when a verified certificate may speak for member `memberId`. */
  speaksFor(certificate: X509Certificate, memberId: string): boolean;
  /** The names a certificate carries (SANs and CN), for log lines. */
  namesOf(certificate: X509Certificate): readonly string[];
  /** What a certificate for `memberId` must name, for log lines. */
  expectedNames(memberId: string): string;
}

/** The chain verified and only the host name did not match: the member id check replaces host names. */
export const HOSTNAME_ONLY_MISMATCH = "ERR_TLS_CERT_ALTNAME_INVALID";
