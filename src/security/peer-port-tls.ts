import type { X509Certificate } from "node:crypto";
import type { TLSOptions } from "bun";
import type { PeerTls } from "../transport/peer-tls.ts";
import { identityOf } from "./certificate-identity.ts";
import type { PeerAllowedNames } from "./peer-allowed-names.ts";
import type { TlsFiles } from "./tls-files.ts";

/**
 * Mutual TLS on the Raft port from `--peer-cert-file`, `--peer-key-file` and
 * `--peer-trusted-ca-file`: both sides present their certificate and verify
 * the other's against the peer CA, and a certificate speaks only for the
 * member it names (or the names `--peer-allowed-names` lists for it).
 */
export class PeerPortTls implements PeerTls {
  constructor(
    readonly files: TlsFiles,
    private readonly allowedNames: PeerAllowedNames,
  ) {}

  serverOptions(): TLSOptions | undefined {
    const material = this.files.current();
    if (material === undefined) return undefined;
    return { cert: material.cert, key: material.key, ca: material.ca, requestCert: true, rejectUnauthorized: true };
  }

  clientOptions(): TLSOptions | undefined {
    const material = this.files.current();
    if (material === undefined) return undefined;
    // The dialer checks the chain from the handshake's verdict and the member id itself: host names
    // in member certificates are not required (members are dialed by whatever address they advertise).
    return { cert: material.cert, key: material.key, ca: material.ca, rejectUnauthorized: false };
  }

  speaksFor(certificate: X509Certificate, memberId: string): boolean {
    return this.allowedNames.allows(identityOf(certificate), memberId);
  }

  namesOf(certificate: X509Certificate): readonly string[] {
    return identityOf(certificate).names;
  }

  expectedNames(memberId: string): string {
    return this.allowedNames.describe(memberId);
  }
}
