import { createSecureContext, type SecureContext } from "node:tls";
import type { ServerTls, ServerTlsConnectionOptions } from "../server/server-tls.ts";
import type { TlsFiles } from "./tls-files.ts";

/**
 * TLS on the client port from `--cert-file`, `--key-file` and, with
 * `--client-cert-auth`, `--trusted-ca-file` (a client certificate required
 * and verified). When the Raft port has mutual TLS too, the peer CA is also
 * trusted for client certificates: members calling each other (forwarded
 * writes, joins) present their peer certificate. One SecureContext per
 * generation of the files, rebuilt when they change on disk.
 */
export class ClientPortTls implements ServerTls {
  private cached: { readonly key: string; readonly context: SecureContext } | undefined;

  constructor(
    readonly files: TlsFiles,
    private readonly clientCertAuth: boolean,
    private readonly peerFiles: TlsFiles | undefined,
  ) {}

  nextConnection(): ServerTlsConnectionOptions | undefined {
    const material = this.files.current();
    if (material === undefined) return undefined;
    const peer = this.clientCertAuth ? this.peerFiles?.current() : undefined;
    const key = `${material.version}:${peer?.version ?? 0}`;
    if (this.cached?.key !== key) {
      const cas = [material.ca, peer?.ca].filter((ca): ca is string => ca !== undefined);
      const context = createSecureContext({
        cert: material.cert,
        key: material.key,
        ...(this.clientCertAuth && cas.length > 0 ? { ca: cas.join("\n") } : {}),
      });
      this.cached = { key, context };
    }
    return { secureContext: this.cached.context, requestCert: this.clientCertAuth, rejectUnauthorized: this.clientCertAuth };
  }
}
