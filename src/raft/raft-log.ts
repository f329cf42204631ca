import type { Entry } from "./entry.ts";
import type { RaftLogView } from "./raft-log-view.ts";
import type { SnapshotMeta } from "./snapshot-meta.ts";
import { limitBytes, type RaftStorage } from "./storage.ts";
import { Unstable } from "./unstable.ts";

/** Durable log (storage) + unstable suffix + commit/applied cursors. */
export class RaftLog implements RaftLogView {
  readonly storage: RaftStorage;
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(storage: RaftStorage, applied: number) {
    this.storage = storage;
    this.unstable = new Unstable(storage.lastIndex() + 1);
    const firstIndex = storage.firstIndex();
    this.committed = Math.max(storage.initialState().commit, firstIndex - 1);
    // Applied never goes below the snapshot: the engine restores from it.
    this.applied = Math.max(applied, storage.snapshot().index, firstIndex - 1);
    if (this.committed < this.applied) this.committed = this.applied;
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable.entries;
  }

  unstableSnapshot(): SnapshotMeta | undefined {
    return this.unstable.snapshot;
  }

  storedSnapshot(): SnapshotMeta {
    return this.storage.snapshot();
  }

  firstIndex(): number {
    return this.unstable.firstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.lastIndex() ?? this.storage.lastIndex();
  }

  /** Term at index, or undefined when compacted or beyond the end. */
  term(index: number): number | undefined {
    const fromUnstable = this.unstable.term(index);
    if (fromUnstable !== undefined) return fromUnstable;
    if (index >= this.unstable.offset) return undefined;
    if (index < this.firstIndex() - 1) return undefined;
    return this.storage.term(index);
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: is (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi) limited by bytes; undefined if lo is compacted. */
  slice(lo: number, hi: number, maxBytes: number): readonly Entry[] | undefined {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) return undefined;
    const offset = this.unstable.offset;
    let result: Entry[] = [];
    if (lo < offset) {
      const stored = this.storage.entries(lo, Math.min(hi, offset), maxBytes);
      if (stored === undefined) return undefined;
      if (stored.length < Math.min(hi, offset) - lo) return stored; // byte limit hit
      result = stored.slice();
    }
    if (hi > offset) {
      const fromUnstable = this.unstable.slice(Math.max(lo, offset), hi);
      result = result.length === 0 ? fromUnstable : result.concat(fromUnstable);
    }
    return limitBytes(result, maxBytes);
  }

  /** Largest index <= index whose term is <= term (etcd's findConflictByTerm). */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
    }
    return 0;
  }

  /** First index where `entries` disagree with our log, or 0 when all match. */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index - 1 < this.committed) {
      throw new Error(`append at ${first.index} would overwrite committed index ${this.committed}`);
    }
    this.unstable.truncateAndAppend(entries);
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) {
      throw new Error(`commit ${index} beyond last index ${this.lastIndex()}`);
    }
    this.committed = index;
    return true;
  }

  restore(snapshot: SnapshotMeta): void {
    this.committed = snapshot.index;
    this.unstable.restore(snapshot);
  }

  /** Index of the last entry the engine has made durable. */
  persistedLastIndex(): number {
    if (this.unstable.snapshot !== undefined) return this.unstable.snapshot.index - 1;
    return this.unstable.offset - 1;
  }
}
