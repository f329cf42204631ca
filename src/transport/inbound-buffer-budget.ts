/**
 * Bytes of partly received frames that all inbound connections of one
 * transport may hold together. Each connection already holds at most one
 * partial frame, bounded by the frame limit; this bounds the sum, so many
 * connections each sending most of a large frame cannot add up to gigabytes.
 */
export class InboundBufferBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when that would pass the limit. */
  reserve(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
