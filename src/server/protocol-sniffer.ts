import type { Socket } from "node:net";

export type WireProtocol = "h2" | "http1";

/** Every cleartext HTTP/2 connection starts with this preface (RFC 9113 §3.4). */
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Reads just enough of a new connection to tell HTTP/2 prior knowledge from
 * HTTP/1.1, puts those bytes back, and hands the socket on. A connection is
 * HTTP/2 only if its first bytes are the whole preface; any mismatch (or a
 * client that closes early) decides HTTP/1.1, whose parser then answers
 * garbage with 400. A connection that has not told within `firstBytesTimeoutMs`
 * (silent, or a preface sent byte by byte) is dropped before any server owns it.
 */
export function sniffProtocol(
  socket: Socket,
  route: (socket: Socket, protocol: WireProtocol) => void,
  firstBytesTimeoutMs: number,
  timedOut: () => void,
): void {
  let received: Buffer = Buffer.alloc(0);
  // One deadline for the whole preface, not an inactivity timer: a byte a second must not keep it alive.
  const timer = setTimeout(() => {
    socket.removeListener("data", onData);
    timedOut();
    socket.destroy();
  }, firstBytesTimeoutMs);
  socket.once("close", () => clearTimeout(timer));
  const onData = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const compared = Math.min(received.length, http2Preface.length);
    const matchesSoFar = received.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    if (matchesSoFar && received.length < http2Preface.length) return;
    socket.removeListener("data", onData);
    clearTimeout(timer);
    socket.pause();
    socket.unshift(received);
    route(socket, matchesSoFar ? "h2" : "http1");
    socket.resume();
  };
  socket.on("data", onData);
}
