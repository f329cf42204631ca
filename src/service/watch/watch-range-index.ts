import { compareKeys } from "../../fsm/key-range.ts";

interface RangeEntry<T> {
  readonly item: T;
  readonly start: Uint8Array;
  /** null = unbounded above. */
  readonly end: Uint8Array | null;
}

/** Entries sorted by start, with a segment tree of the largest end under each node. */
interface BuiltIndex<T> {
  readonly sorted: readonly RangeEntry<T>[];
  /** Heap layout: node 1 is the root; leaves cover sorted[lo..hi). */
  readonly maxEnd: (Uint8Array | null | undefined)[];
}

/**
 * Half-open key ranges answering "which ranges contain this key" in
 * O(log n + matches), not by scanning every range: entries sorted by start
 * (a binary search bounds the candidates) and a max-end segment tree prunes
 * the ones that end before the key. Built lazily after changes, so a burst of
 * new watchers costs one sort.
 */
export class WatchRangeIndex<T> {
  readonly #entries = new Map<T, RangeEntry<T>>();
  #built: BuiltIndex<T> | undefined;

  get size(): number {
    return this.#entries.size;
  }

  add(item: T, start: Uint8Array, end: Uint8Array | undefined): void {
    this.#entries.set(item, { item, start, end: end ?? null });
    this.#built = undefined;
  }

  remove(item: T): void {
    if (this.#entries.delete(item)) this.#built = undefined;
  }

  forEachContaining(key: Uint8Array, visit: (item: T) => void): void {
    if (this.#entries.size === 0) return;
    this.#built ??= build([...this.#entries.values()]);
    const { sorted } = this.#built;
    // Candidates are the entries whose start <= key: a prefix of `sorted`.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys((sorted[mid] as RangeEntry<T>).start, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) this.#visit(this.#built, 1, 0, sorted.length, lo, key, visit);
  }

  #visit(built: BuiltIndex<T>, node: number, lo: number, hi: number, limit: number, key: Uint8Array, visit: (item: T) => void): void {
    if (lo >= limit) return;
    const end = built.maxEnd[node];
    if (end !== null && (end === undefined || compareKeys(end, key) <= 0)) return;
    if (hi - lo === 1) {
      visit((built.sorted[lo] as RangeEntry<T>).item);
      return;
    }
    const mid = (lo + hi) >>> 1;
    this.#visit(built, node * 2, lo, mid, limit, key, visit);
    this.#visit(built, node * 2 + 1, mid, hi, limit, key, visit);
  }
}

function build<T>(entries: RangeEntry<T>[]): BuiltIndex<T> {
  const sorted = entries.sort((a, b) => compareKeys(a.start, b.start));
  const maxEnd = new Array<Uint8Array | null | undefined>(4 * sorted.length).fill(undefined);
  const fill = (node: number, lo: number, hi: number): Uint8Array | null => {
    if (hi - lo === 1) {
      const end = (sorted[lo] as RangeEntry<T>).end;
      maxEnd[node] = end;
      return end;
    }
    const mid = (lo + hi) >>> 1;
    const left = fill(node * 2, lo, mid);
    const right = fill(node * 2 + 1, mid, hi);
    const larger = left === null || right === null ? null : compareKeys(left, right) >= 0 ? left : right;
    maxEnd[node] = larger;
    return larger;
  };
  if (sorted.length > 0) fill(1, 0, sorted.length);
  return { sorted, maxEnd };
}
