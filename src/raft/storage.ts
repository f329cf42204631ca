import type { Entry } from "./entry.ts";
import type { HardState } from "./hard-state.ts";
import type { SnapshotMeta } from "./snapshot-meta.ts";

/**
 * The durable state the core reads (etcd's Storage). The engine writes it
 * (append, hard state, snapshots, compaction) while handling a Ready; the
 * core only reads. Everything returned must already be durable.
 *
 * Layout: a snapshot covering [1, snapshot.index] and log entries
 * [firstIndex(), lastIndex()], with firstIndex() - 1 <= snapshot.index (the
 * log keeps some trailing entries below the snapshot so slow followers can
 * catch up without one).
 */
export interface RaftStorage {
  initialState(): HardState;
  /** Entries [lo, hi), at most maxBytes (but always at least one); undefined if lo was compacted. */
  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] | undefined;
  /** Term of entry i for i in [firstIndex()-1, lastIndex()]; undefined outside (compacted or absent). */
  term(index: number): number | undefined;
  firstIndex(): number;
  lastIndex(): number;
  /** Latest snapshot's metadata (index 0 when none). */
  snapshot(): SnapshotMeta;
}

/** Approximate bytes an entry costs in a message (for batching by size). */
export function entryBytes(entry: Entry): number {
  return entry.data.length + 24;
}

/** Keeps entries from the front while under maxBytes, always at least one. */
export function limitBytes(entries: readonly Entry[], maxBytes: number): readonly Entry[] {
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    size += entryBytes(entry);
    if (size > maxBytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}
