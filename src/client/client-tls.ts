/**
 * TLS for a Node/Bun client: PEM texts of the CAs to trust (the system's
 * when absent) and, for a server that requires client certificates, this
 * client's certificate and key. Endpoints are then dialed with https://.
 */
export interface ClientTlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}
