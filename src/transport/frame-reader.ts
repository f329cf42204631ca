import { FRAME_HEADER_BYTES, readUint32 } from "./frame-codec.ts";
import { InboundBufferBudget } from "./inbound-buffer-budget.ts";

/**
 * Receives a frame body: a view into the pushed chunk, or a buffer allocated
 * for a frame that spanned chunks. Either way the reader never writes to it
 * again. Return false to stop reading: the rest of the chunk is ignored.
 */
export type FrameSink = (body: Uint8Array) => boolean;

export type FrameReadOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "stopped" }
  | { readonly kind: "oversized"; readonly length: number; readonly limit: number }
  | { readonly kind: "over-budget"; readonly limit: number };

const OK: FrameReadOutcome = { kind: "ok" };
const STOPPED: FrameReadOutcome = { kind: "stopped" };

/**
 * Splits a TCP byte stream into length-prefixed frame bodies. A length header
 * over the limit is reported before any byte of its body is buffered, and a
 * frame that spans chunks holds only the bytes that arrived (never its
 * announced length up front), each taken from `budget`: a peer cannot make
 * this node reserve memory by lying about a size, nor by sending most of
 * many large frames at once.
 */
export class FrameReader {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Length of the frame being received across chunks; -1 when none is. */
  private bodyLength = -1;
  /** Its bytes so far: views of the pushed chunks, which nothing else writes to. */
  private bodyParts: Uint8Array[] = [];
  private bodyFilled = 0;

  constructor(
    private maxFrameBytes: number,
    private readonly budget: InboundBufferBudget = new InboundBufferBudget(Number.MAX_SAFE_INTEGER),
  ) {}

  /** The limit applies to frames whose header has not been read yet. */
  setMaxFrameBytes(limit: number): void {
    this.maxFrameBytes = limit;
  }

  /** True while part of a frame (header or body) has arrived but not all of it. */
  get hasPartialFrame(): boolean {
    return this.headerFilled > 0 || this.bodyLength >= 0;
  }

  /** Bytes of a partial frame held now (counted in the budget). */
  get bufferedBytes(): number {
    return this.bodyFilled;
  }

  /** Gives back what a partial frame holds; for a connection that closes. The reader is not used again. */
  release(): void {
    this.budget.release(this.bodyFilled);
    this.bodyParts = [];
    this.bodyFilled = 0;
    this.bodyLength = -1;
  }

  push(chunk: Uint8Array, sink: FrameSink): FrameReadOutcome {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLength >= 0) {
        const take = Math.min(this.bodyLength - this.bodyFilled, chunk.length - offset);
        if (!this.budget.reserve(take)) return { kind: "over-budget", limit: this.budget.limitBytes };
        this.bodyParts.push(chunk.subarray(offset, offset + take));
        this.bodyFilled += take;
        offset += take;
        if (this.bodyFilled < this.bodyLength) return OK;
        const complete = this.joinBody();
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
      this.bodyLength = length;
      this.bodyParts = [];
      this.bodyFilled = 0;
    }
    return OK;
  }

  /** The finished frame in one buffer; its bytes go back to the budget. */
  private joinBody(): Uint8Array {
    const parts = this.bodyParts;
    const length = this.bodyLength;
    this.budget.release(this.bodyFilled);
    this.bodyParts = [];
    this.bodyFilled = 0;
    this.bodyLength = -1;
    const only = parts[0];
    if (parts.length === 1 && only !== undefined) return only;
    const body = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      body.set(part, at);
      at += part.length;
    }
    return body;
  }
}
