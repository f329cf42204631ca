import type { ServerHttp2Stream } from "node:http2";

/** Largest write handed to Bun's HTTP/2 stream at once. */
const PIECE_BYTES = 64 * 1024;

type WriteCallback = (error?: Error | null) => void;

interface Piece {
  readonly bytes: Uint8Array;
  /** The caller's callback, on the last piece of its write. */
  readonly done: WriteCallback | undefined;
}

/**
 * Works around a bug in Bun's node:http2 (seen in Bun 1.4.5): with several
 * large responses in flight on one session, a single stream write of more
 * than a few hundred KiB can go out after that stream's END_STREAM (or
 * trailers), or not at all, and streams behind it never get their HEADERS:
 * of 8 concurrent 5 MB answers on one connection, 3 complete (h2load, nghttp,
 * curl -Z and Node clients all fail). Writes of at most 64 KiB, each issued
 * once the previous one's callback ran, go out in order at full speed.
 * Minimal reproduction (no raftkv code; the session must be attached to a
 * socket whose first bytes already arrived, as after our protocol sniffer):
 *
 *   const h2 = http2.createServer();
 *   h2.on("stream", (s) => { s.respond({ ":status": 200 }); s.end(Buffer.alloc(5 << 20)); });
 *   net.createServer((socket) => {
 *     socket.pause();
 *     setTimeout(() => { h2.emit("connection", socket); socket.resume(); }, 50);
 *   }).listen(8080);
 *   // h2load -n 8 -c 1 -m 8 http://127.0.0.1:8080/ → 8 done, 3 succeeded, 5 failed
 *
 * So every server stream's write() and end() are paced here: a chunk of up
 * to 64 KiB with nothing queued goes straight through (the common small
 * answer costs nothing); anything larger is cut into 64 KiB pieces written
 * one after the other, and end() waits until they are written. write()
 * returns false while pieces are queued and 'drain' follows once they are
 * written, so callers that respect backpressure (connect-node) keep doing so.
 */
export function paceWrites(stream: ServerHttp2Stream): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const end = stream.end.bind(stream) as (...args: unknown[]) => ServerHttp2Stream;
  const queue: Piece[] = [];
  let writing = false;
  let ending: { readonly done: (() => void) | undefined } | undefined;

  const pump = (): void => {
    if (writing) return;
    const piece = queue.shift();
    if (piece === undefined) {
      const finish = ending;
      ending = undefined;
      if (finish !== undefined) end(finish.done);
      else stream.emit("drain");
      return;
    }
    writing = true;
    write(piece.bytes, (error?: Error | null) => {
      writing = false;
      piece.done?.(error);
      if (error === undefined || error === null) pump();
    });
  };

  const enqueue = (bytes: Uint8Array, done: WriteCallback | undefined): void => {
    if (bytes.length === 0) {
      queue.push({ bytes, done });
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += PIECE_BYTES) {
      const last = offset + PIECE_BYTES >= bytes.length;
      queue.push({ bytes: bytes.subarray(offset, offset + PIECE_BYTES), done: last ? done : undefined });
    }
  };

  const idle = (): boolean => !writing && queue.length === 0 && ending === undefined;

  const paced = {
    write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      // The common small write: Bun's own, with the caller's arguments, untouched.
      if (idle() && byteLengthOf(chunk, encoding) <= PIECE_BYTES) return write(chunk, encoding, callback);
      enqueue(bytesOf(chunk, encoding), (typeof encoding === "function" ? encoding : callback) as WriteCallback | undefined);
      pump();
      return idle();
    },
    end(chunk?: unknown, encoding?: unknown, callback?: unknown): ServerHttp2Stream {
      const hasChunk = chunk !== undefined && chunk !== null && typeof chunk !== "function";
      if (idle() && (!hasChunk || byteLengthOf(chunk, encoding) <= PIECE_BYTES)) return end(chunk, encoding, callback);
      if (hasChunk) enqueue(bytesOf(chunk, encoding), undefined);
      ending = { done: [chunk, encoding, callback].find((arg) => typeof arg === "function") as (() => void) | undefined };
      pump();
      return stream;
    },
  };
  // A stream reset mid-answer: nothing more is written, and writers waiting on a callback hear why.
  stream.once("close", () => {
    const dropped = queue.splice(0);
    ending = undefined;
    for (const piece of dropped) piece.done?.(new Error("the HTTP/2 stream closed before the answer was written"));
  });
  Object.assign(stream, paced);
}

function byteLengthOf(chunk: unknown, encoding: unknown): number {
  if (chunk instanceof Uint8Array) return chunk.length;
  if (typeof chunk === "string") return Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  return 0;
}

function bytesOf(chunk: unknown, encoding: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  throw new TypeError(`an HTTP/2 response chunk must be a string or a Uint8Array, got ${typeof chunk}`);
}
