import type { Entry } from "./entry.ts";
import { emptyHardState, type HardState } from "./hard-state.ts";
import { emptySnapshotMeta, type SnapshotMeta } from "./snapshot-meta.ts";
import { limitBytes, type RaftStorage } from "./storage.ts";

/**
 * An in-memory RaftStorage (for the simulator and tests). The snapshot data
 * is kept opaque next to its metadata, as a real snapshot store would.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = emptyHardState;
  private snapshotMeta: SnapshotMeta = emptySnapshotMeta;
  private snapshotBytes: Uint8Array = new Uint8Array(0);
  /** The entry just before log[0] (compacted away, or the snapshot point). */
  private prevIndex = 0;
  private prevTerm = 0;
  /** log[k] has index prevIndex + 1 + k. */
  private log: Entry[] = [];

  initialState(): HardState {
    return this.hardState;
  }

  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] | undefined {
    const offset = this.prevIndex + 1;
    if (lo < offset) return undefined;
    if (hi > this.lastIndex() + 1) {
      throw new Error(`entries(${lo}, ${hi}) beyond last index ${this.lastIndex()}`);
    }
    return limitBytes(this.log.slice(lo - offset, hi - offset), maxBytes);
  }

  term(index: number): number | undefined {
    if (index === this.prevIndex) return this.prevTerm;
    if (index < this.prevIndex || index > this.lastIndex()) return undefined;
    return (this.log[index - this.prevIndex - 1] as Entry).term;
  }

  firstIndex(): number {
    return this.prevIndex + 1;
  }

  lastIndex(): number {
    return this.prevIndex + this.log.length;
  }

  snapshot(): SnapshotMeta {
    return this.snapshotMeta;
  }

  snapshotData(): Uint8Array {
    return this.snapshotBytes;
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /** Appends, first dropping any stored entries at or after entries[0].index. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    }
    // Entries at or below the compaction point are already covered.
    const usable = entries.filter((e) => e.index > this.prevIndex);
    const head = usable[0];
    if (head === undefined) return;
    this.log.length = head.index - this.prevIndex - 1;
    for (const e of usable) this.log.push(e);
  }

  /** Replaces state with a snapshot received from a leader. */
  applySnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    if (meta.index <= this.snapshotMeta.index) return;
    if (this.term(meta.index) === meta.term && meta.index >= this.prevIndex) {
      // The log already agrees at the snapshot point: keep the suffix.
      this.log = this.log.slice(meta.index - this.prevIndex);
    } else {
      this.log = [];
    }
    this.prevIndex = meta.index;
    this.prevTerm = meta.term;
    this.snapshotMeta = meta;
    this.snapshotBytes = data;
  }

  /** Records a locally taken snapshot of the state machine at meta.index. */
  createSnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    if (meta.index <= this.snapshotMeta.index) return;
    if (meta.index > this.lastIndex()) {
      throw new Error(`snapshot at ${meta.index} beyond last index ${this.lastIndex()}`);
    }
    this.snapshotMeta = meta;
    this.snapshotBytes = data;
  }

  /** Drops log entries up to and including index (never past the snapshot). */
  compact(index: number): void {
    const upTo = Math.min(index, this.snapshotMeta.index, this.lastIndex());
    if (upTo <= this.prevIndex) return;
    const term = this.term(upTo);
    if (term === undefined) throw new Error(`compact(${index}): no term for ${upTo}`);
    this.log = this.log.slice(upTo - this.prevIndex);
    this.prevIndex = upTo;
    this.prevTerm = term;
  }
}
