/** One poll of a node: when (ms, monotonic) and its counters. */
export interface Sample {
  readonly atMs: number;
  readonly commitIndex: bigint;
  readonly readsTotal: bigint | undefined;
}

/** A point of the chart: rates over the interval that ends at atMs. */
export interface RatePoint {
  readonly atMs: number;
  readonly writesPerSecond: number;
  /** undefined while the node reports no reads counter, or across a counter reset. */
  readonly readsPerSecond: number | undefined;
  readonly commitIndex: bigint;
}

/**
 * The last `windowMs` of samples and the rates between consecutive ones. A
 * counter that went down (a restarted node, or another node answering) is a
 * reset: that interval has no rate rather than a negative one.
 */
export class RateHistory {
  private readonly samples: Sample[] = [];

  constructor(readonly windowMs: number) {}

  add(sample: Sample): void {
    const last = this.samples.at(-1);
    if (last !== undefined && sample.atMs <= last.atMs) return;
    this.samples.push(sample);
    const oldest = sample.atMs - this.windowMs;
    while ((this.samples[0]?.atMs ?? Infinity) < oldest) this.samples.shift();
  }

  points(): RatePoint[] {
    const points: RatePoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const before = this.samples[i - 1];
      const now = this.samples[i];
      if (before === undefined || now === undefined) continue;
      const seconds = (now.atMs - before.atMs) / 1000;
      const writes = now.commitIndex - before.commitIndex;
      if (writes < 0n) continue;
      const reads = now.readsTotal !== undefined && before.readsTotal !== undefined ? now.readsTotal - before.readsTotal : undefined;
      points.push({
        atMs: now.atMs,
        writesPerSecond: Number(writes) / seconds,
        readsPerSecond: reads === undefined || reads < 0n ? undefined : Number(reads) / seconds,
        commitIndex: now.commitIndex,
      });
    }
    return points;
  }
}
