/** What the client knows about one write. */
export interface WriteRecord {
  readonly key: string;
  readonly valueSize: number;
  /** performance.now() when the request was sent. */
  readonly sentAt: number;
  /**
   * performance.now() when the server acknowledged it; undefined while
   * pending or when it failed (a failed write's outcome is unknown: a
   * timed-out write may still have been applied).
   */
  ackedAt: number | undefined;
}

/**
 * Every write the load generator sends, so the harness can check afterwards
 * that each acknowledged write is still readable. Per key it keeps the
 * latest send time of an acknowledged write: the stored value must come from
 * a write that was not yet acknowledged when that write was sent (otherwise
 * a newer acknowledged write was lost).
 */
export class AckLog {
  private readonly writes = new Map<number, WriteRecord>();
  private readonly latestAckedSend = new Map<string, number>();
  private nextSequence = 1;
  private ackedCount = 0;

  /** Registers a write about to be sent and returns its sequence number. */
  begin(key: string, valueSize: number, sentAt: number): number {
    const sequence = this.nextSequence++;
    this.writes.set(sequence, { key, valueSize, sentAt, ackedAt: undefined });
    return sequence;
  }

  acknowledge(sequence: number, ackedAt: number): void {
    const record = this.writes.get(sequence);
    if (record === undefined) throw new Error(`acknowledged unknown write sequence ${sequence}`);
    record.ackedAt = ackedAt;
    this.ackedCount++;
    const previous = this.latestAckedSend.get(record.key);
    if (previous === undefined || record.sentAt > previous) {
      this.latestAckedSend.set(record.key, record.sentAt);
    }
  }

  write(sequence: number): WriteRecord | undefined {
    return this.writes.get(sequence);
  }

  /** Keys with at least one acknowledged write, and the latest such send time. */
  acknowledgedKeys(): ReadonlyMap<string, number> {
    return this.latestAckedSend;
  }

  get acknowledged(): number {
    return this.ackedCount;
  }

  get sent(): number {
    return this.nextSequence - 1;
  }
}
