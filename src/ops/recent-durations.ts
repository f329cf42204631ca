/**
 * The last `capacity` durations, for a percentile over recent history (the
 * fsync p99 in `raftkv cluster status`). Recording is one array write; the
 * percentile sorts a copy, which only a status call pays for.
 */
export class RecentDurations {
  readonly #values: Float64Array;
  #next = 0;
  #count = 0;

  constructor(capacity = 1024) {
    this.#values = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.#values[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#values.length;
    this.#count = Math.min(this.#count + 1, this.#values.length);
  }

  get count(): number {
    return this.#count;
  }

  /** The q-quantile (0 < q ≤ 1) of what is recorded, nearest-rank; 0 when nothing is. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const sorted = this.#values.slice(0, this.#count).sort();
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil(q * this.#count) - 1));
    return sorted[rank] ?? 0;
  }
}
