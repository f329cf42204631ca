/** A peer payload that could not be decoded; says which field and where. */
export class PeerMessageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PeerMessageDecodeError";
  }
}

const MAX_SAFE_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / 0x1_0000_0000);

/**
 * Reads the fields RaftWireWriter wrote, checking every length against the
 * bytes left, so a truncated or hostile payload throws a
 * PeerMessageDecodeError instead of reading out of bounds or allocating
 * what the sender claims.
 */
export class RaftWireReader {
  private offset = 0;
  private readonly view: DataView;
  private static readonly utf8 = new TextDecoder("utf-8", { fatal: true });

  constructor(private readonly input: Uint8Array) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  private need(bytes: number, field: string): void {
    if (bytes > this.remaining) {
      throw new PeerMessageDecodeError(`truncated peer message: ${field} needs ${bytes} bytes at offset ${this.offset}, ${this.remaining} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  bool(field: string): boolean {
    const value = this.u8(field);
    if (value > 1) throw new PeerMessageDecodeError(`peer message field ${field}: invalid boolean ${value}`);
    return value === 1;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  uint(field: string): number {
    this.need(8, field);
    const high = this.view.getUint32(this.offset);
    const low = this.view.getUint32(this.offset + 4);
    if (high > MAX_SAFE_HIGH) throw new PeerMessageDecodeError(`peer message field ${field}: value beyond 2^53`);
    this.offset += 8;
    const value = high * 0x1_0000_0000 + low;
    if (!Number.isSafeInteger(value)) throw new PeerMessageDecodeError(`peer message field ${field}: value beyond 2^53`);
    return value;
  }

  /** A copy: the input is usually a view into a transport buffer that gets reused. */
  bytes(field: string): Uint8Array {
    const length = this.u32(`${field} length`);
    this.need(length, field);
    const value = this.input.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  string(field: string): string {
    const length = this.u32(`${field} length`);
    this.need(length, field);
    const raw = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    try {
      return RaftWireReader.utf8.decode(raw);
    } catch {
      throw new PeerMessageDecodeError(`peer message field ${field}: invalid UTF-8`);
    }
  }

  /** A count of items that each take at least minItemBytes, checked against what is left. */
  count(field: string, minItemBytes: number): number {
    const n = this.u32(`${field} count`);
    if (n * minItemBytes > this.remaining) {
      throw new PeerMessageDecodeError(`peer message field ${field}: count ${n} exceeds the ${this.remaining} bytes left`);
    }
    return n;
  }

  end(): void {
    if (this.remaining !== 0) {
      throw new PeerMessageDecodeError(`peer message has ${this.remaining} trailing bytes at offset ${this.offset}`);
    }
  }
}
