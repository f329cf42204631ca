/**
 * Appends fixed-width big-endian fields to a growing buffer. Indexes and
 * terms are written as two u32 halves so any safe integer round-trips
 * without BigInt on the hot path.
 */
export class RaftWireWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;
  private static readonly utf8 = new TextEncoder();

  constructor(initialBytes = 256) {
    this.buffer = new Uint8Array(initialBytes);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  bool(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
  }

  /** A non-negative safe integer (index, term, round). */
  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value}: not a non-negative safe integer`);
    this.reserve(8);
    this.view.setUint32(this.length, Math.floor(value / 0x1_0000_0000));
    this.view.setUint32(this.length + 4, value >>> 0);
    this.length += 8;
  }

  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  string(value: string): void {
    this.bytes(RaftWireWriter.utf8.encode(value));
  }

  /** A view, not a copy: the writer is not used after finish, and callers size it close to the result. */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
