import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { WireProtocol } from "./protocol-sniffer.ts";
import type { ServerTls } from "./server-tls.ts";

/** Both protocols are offered; a client without ALPN (old curl, openssl s_client) gets HTTP/1.1. */
const alpnProtocols = ["h2", "http/1.1"];

/**
 * Runs the TLS handshake on a newly accepted connection and hands the
 * encrypted socket on as HTTP/2 (ALPN "h2") or HTTP/1.1. A client that does
 * not speak TLS (plaintext HTTP, HTTP/2 prior knowledge, garbage) fails the
 * handshake and is closed: nothing is served. Failures are logged through
 * `warn`, which the caller rate-limits (anyone can cause them). A connection
 * that has not finished its handshake within `handshakeTimeoutMs` is dropped.
 */
export function acceptTls(
  raw: Socket,
  tls: ServerTls,
  route: (socket: TLSSocket, protocol: WireProtocol) => void,
  warn: (message: string, fields: Readonly<Record<string, unknown>>) => void,
  handshakeTimeoutMs: number,
  timedOut: () => void,
): void {
  const remote = `${raw.remoteAddress ?? "?"}:${raw.remotePort ?? "?"}`;
  const options = tls.nextConnection();
  if (options === undefined) {
    raw.destroy();
    return;
  }
  const socket = new TLSSocket(raw, {
    isServer: true,
    secureContext: options.secureContext,
    ALPNProtocols: alpnProtocols,
    requestCert: options.requestCert,
    rejectUnauthorized: options.rejectUnauthorized,
  });
  const timer = setTimeout(() => {
    timedOut();
    warn("TLS handshake timed out on the client port", { remote, waitedMs: handshakeTimeoutMs });
    socket.destroy();
  }, handshakeTimeoutMs);
  let secured = false;
  socket.once("secure", () => {
    secured = true;
    clearTimeout(timer);
    // Not left to the TLS layer alone: a certificate that did not verify never reaches a handler.
    if (options.rejectUnauthorized && !socket.authorized) {
      warn("refused a connection on the TLS client port", { remote, reason: `client certificate refused: ${String(socket.authorizationError)}` });
      socket.destroy();
      return;
    }
    route(socket, socket.alpnProtocol === "h2" ? "h2" : "http1");
  });
  socket.on("error", (error: Error & { code?: string }) => {
    clearTimeout(timer);
    // After the handshake an error is a reset or a broken pipe: the client's business.
    if (!secured) warn("refused a connection on the TLS client port", { remote, reason: describeHandshakeError(error) });
    socket.destroy();
  });
  raw.on("error", () => {
    // The TLS socket reports it; 'close' follows.
  });
}

/** One line an operator can act on, for the handshake failures clients actually cause. */
export function describeHandshakeError(error: Error & { code?: string }): string {
  switch (error.code) {
    case "ERR_SSL_HTTP_REQUEST":
      return "plaintext HTTP on a TLS port (use https://)";
    case "ERR_SSL_WRONG_VERSION_NUMBER":
      return "not a TLS client hello (plaintext or HTTP/2 prior knowledge on a TLS port?)";
    case "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE":
      return "client presented no certificate (--client-cert-auth requires one)";
    case "ERR_SSL_CERTIFICATE_VERIFY_FAILED":
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
      return `client certificate refused: ${error.message}`;
    default:
      return error.message;
  }
}
