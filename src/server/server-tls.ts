import type { SecureContext } from "node:tls";

/** TLS settings for one new connection on the client port. */
export interface ServerTlsConnectionOptions {
  readonly secureContext: SecureContext;
  /** Ask the client for a certificate (verified against the context's CAs). */
  readonly requestCert: boolean;
  /** Refuse the handshake when the client has no valid certificate. */
  readonly rejectUnauthorized: boolean;
}

/**
 * TLS on the client port. Asked once per accepted connection, so a
 * certificate replaced on disk is used by the next connection; undefined
 * refuses the connection (no certificate valid now).
 */
export interface ServerTls {
  nextConnection(): ServerTlsConnectionOptions | undefined;
}
