import { FRAME_HEADER_BYTES, readUint32 } from "./frame-codec.ts";

/**
 * Receives a frame body: a view into the pushed chunk, or a buffer allocated
 * for a frame that spanned chunks. Either way the reader never writes to it
 * again. Return false to stop reading: the rest of the chunk is ignored.
 */
export type FrameSink = (body: Uint8Array) => boolean;

export type FrameReadOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "stopped" }
  | { readonly kind: "oversized"; readonly length: number; readonly limit: number };

const OK: FrameReadOutcome = { kind: "ok" };
const STOPPED: FrameReadOutcome = { kind: "stopped" };

/**
 * Splits a TCP byte stream into length-prefixed frame bodies. A length header
 * over the limit is reported before any buffer for it is allocated, so a peer
 * cannot make this node reserve memory by lying about a size.
 */
export class FrameReader {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private body: Uint8Array | undefined;
  private bodyFilled = 0;

  constructor(private maxFrameBytes: number) {}

  /** The limit applies to frames whose header has not been read yet. */
  setMaxFrameBytes(limit: number): void {
    this.maxFrameBytes = limit;
  }

  /** True while part of a frame (header or body) has arrived but not all of it. */
  get hasPartialFrame(): boolean {
    return this.headerFilled > 0 || this.body !== undefined;
  }

  push(chunk: Uint8Array, sink: FrameSink): FrameReadOutcome {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body !== undefined) {
        const take = Math.min(this.body.length - this.bodyFilled, chunk.length - offset);
        this.body.set(chunk.subarray(offset, offset + take), this.bodyFilled);
        this.bodyFilled += take;
        offset += take;
        if (this.bodyFilled < this.body.length) return OK;
        const complete = this.body;
        this.body = undefined;
        this.bodyFilled = 0;
        if (!sink(complete)) return STOPPED;
        continue;
      }

      let length: number;
      if (this.headerFilled === 0 && chunk.length - offset >= FRAME_HEADER_BYTES) {
        length = readUint32(chunk, offset);
        offset += FRAME_HEADER_BYTES;
      } else {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFilled);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < FRAME_HEADER_BYTES) return OK;
        this.headerFilled = 0;
        length = readUint32(this.header, 0);
      }
      if (length > this.maxFrameBytes) return { kind: "oversized", length, limit: this.maxFrameBytes };

      if (chunk.length - offset >= length) {
        // The common case for small frames: no copy, the sink sees a view.
        const view = chunk.subarray(offset, offset + length);
        offset += length;
        if (!sink(view)) return STOPPED;
        continue;
      }
      this.body = new Uint8Array(length);
      this.bodyFilled = 0;
    }
    return OK;
  }
}
