import type { X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { type CertificateIdentity, identityOf } from "./certificate-identity.ts";

/** What a verified client certificate proves about the connection it came on. */
export interface CallerCertificate {
  readonly identity: CertificateIdentity;
  /** Issued by a peer (member) CA: with a name that speaks for a member, the caller is that member. */
  readonly fromPeerCa: boolean;
}

const cacheKey = Symbol("raftkv.callerCertificate");

/** A socket that remembers what its certificate proved (null: nothing), computed once per connection. */
interface CachingSocket {
  [cacheKey]?: CallerCertificate | null;
}

/**
 * The verified client certificate of the connection a call came on, or
 * undefined (plaintext, no certificate, or one the handshake did not verify).
 * For HTTP/2 the socket is the session's: the answer is cached on it.
 */
export function callerCertificateOf(socket: Socket | undefined, peerCas: readonly X509Certificate[]): CallerCertificate | undefined {
  if (socket === undefined || !(socket instanceof TLSSocket)) return undefined;
  const cache = socket as TLSSocket & CachingSocket;
  const cached = cache[cacheKey];
  if (cached !== undefined) return cached ?? undefined;
  const certificate = socket.authorized ? socket.getPeerX509Certificate() : undefined;
  const found: CallerCertificate | null =
    certificate === undefined
      ? null
      : { identity: identityOf(certificate), fromPeerCa: peerCas.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey)) };
  cache[cacheKey] = found;
  return found ?? undefined;
}
