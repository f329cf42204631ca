/** A batch of whole frames taken from the queue to be written as one buffer. */
export interface FrameBatch {
  readonly bytes: Uint8Array;
  readonly frames: number;
}

/**
 * The frames waiting for one peer, bounded by count and by bytes: when either
 * bound would be exceeded the new frame is refused (the caller drops and
 * counts it; Raft retransmits), so a dead or slow peer costs bounded memory.
 */
export class FrameQueue {
  private frames: Uint8Array[] = [];
  private head = 0;
  private byteCount = 0;

  constructor(
    private readonly maxFrames: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.frames.length - this.head;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** `reservedBytes` are bytes already taken out but not yet written (they count toward the bound). */
  push(frame: Uint8Array, reservedBytes: number): boolean {
    if (this.length >= this.maxFrames || this.byteCount + reservedBytes + frame.length > this.maxBytes) return false;
    this.frames.push(frame);
    this.byteCount += frame.length;
    return true;
  }

  /**
   * Takes frames from the front, concatenated up to `maxBatchBytes` so many
   * small frames become one write. A frame at least that large goes alone and
   * uncopied. Undefined when empty.
   */
  takeBatch(maxBatchBytes: number): FrameBatch | undefined {
    const first = this.frames[this.head];
    if (first === undefined) return undefined;
    let end = this.head + 1;
    let total = first.length;
    while (end < this.frames.length) {
      const next = this.frames[end];
      if (next === undefined || total + next.length > maxBatchBytes) break;
      total += next.length;
      end++;
    }
    const count = end - this.head;
    let bytes: Uint8Array;
    if (count === 1) {
      bytes = first;
    } else {
      bytes = new Uint8Array(total);
      let offset = 0;
      for (let i = this.head; i < end; i++) {
        const frame = this.frames[i];
        if (frame === undefined) continue;
        bytes.set(frame, offset);
        offset += frame.length;
      }
    }
    this.advance(end, total);
    return { bytes, frames: count };
  }

  /** Empties the queue; returns how many frames were discarded. */
  clear(): number {
    const discarded = this.length;
    this.frames = [];
    this.head = 0;
    this.byteCount = 0;
    return discarded;
  }

  private advance(end: number, takenBytes: number): void {
    this.byteCount -= takenBytes;
    if (end >= this.frames.length) {
      this.frames = [];
      this.head = 0;
      return;
    }
    this.head = end;
    // Compact now and then so taken frames can be collected.
    if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }
}
