import type { Entry } from "../raft/entry.ts";

/**
 * The newest entries of the log, kept in memory after they were written, so
 * the reads that follow a write (the apply of committed entries, the next
 * append to a follower) do not go back to SQLite for what was just put there.
 * A profile of a follower under load showed ~5% of its main thread reading
 * back entries it had persisted a moment before.
 *
 * Holds one contiguous run ending at the log's last index, bounded by count
 * and payload bytes; the oldest entries fall out first. The caller keeps it
 * in step with every change of the log (append, truncation, compaction).
 */
export class RecentLogEntries {
  /** Slots before `head` are emptied, not shifted out (see compactArray). */
  private entries: (Entry | undefined)[] = [];
  /** Index of entries[head]; entries before head are dropped lazily. */
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** Index of the oldest entry held; Infinity when empty. */
  firstIndex(): number {
    const first = this.entries[this.head];
    return first === undefined ? Number.POSITIVE_INFINITY : first.index;
  }

  /** Appends entries that follow the last one held; anything else restarts the run. */
  append(added: readonly Entry[]): void {
    const first = added[0];
    if (first === undefined) return;
    const last = this.entries[this.entries.length - 1];
    if (last === undefined || first.index !== last.index + 1) this.clear();
    for (const entry of added) {
      this.entries.push(entry);
      this.bytes += entry.data.byteLength;
    }
    this.trim();
  }

  /** Forgets entries with index >= fromIndex. */
  truncateFrom(fromIndex: number): void {
    const first = this.firstIndex();
    if (fromIndex <= first) {
      this.clear();
      return;
    }
    const keep = this.head + (fromIndex - first);
    while (this.entries.length > keep) this.bytes -= this.entries.pop()?.data.byteLength ?? 0;
  }

  /** Forgets entries with index <= throughIndex. */
  dropThrough(throughIndex: number): void {
    while ((this.entries[this.head]?.index ?? Number.POSITIVE_INFINITY) <= throughIndex) this.dropOldest();
    this.compactArray();
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }

  /** The entry at `index`, if held. */
  at(index: number): Entry | undefined {
    const first = this.firstIndex();
    if (index < first) return undefined;
    return this.entries[this.head + (index - first)];
  }

  /**
   * Entries in [lo, hi) with the log store's byte limit (at least one, then
   * stop before exceeding maxBytes); undefined unless all of [lo, hi) is held.
   */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    const first = this.firstIndex();
    if (lo < first || hi - 1 > first + (this.entries.length - this.head) - 1) return undefined;
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = this.head + (lo - first), end = this.head + (hi - first); i < end; i++) {
      const entry = this.entries[i];
      if (entry === undefined) return undefined;
      bytes += entry.data.byteLength;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  private trim(): void {
    while (this.entries.length - this.head > this.maxEntries || (this.bytes > this.maxBytes && this.entries.length - this.head > 1)) {
      this.dropOldest();
    }
    this.compactArray();
  }

  private dropOldest(): void {
    this.bytes -= this.entries[this.head]?.data.byteLength ?? 0;
    this.entries[this.head] = undefined;
    this.head++;
  }

  /** Shifting the array on every drop would be O(n) per entry; compact once the dead prefix is large. */
  private compactArray(): void {
    if (this.head === this.entries.length) {
      this.clear();
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
