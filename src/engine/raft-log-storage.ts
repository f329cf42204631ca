import type { Entry } from "../raft/entry.ts";
import type { HardState } from "../raft/hard-state.ts";
import { emptySnapshotMeta, type SnapshotMeta } from "../raft/snapshot-meta.ts";
import type { RaftStorage } from "../raft/storage.ts";
import type { RaftLogStore } from "../storage/raft-log-store.ts";

/**
 * The core's read-only view of the durable log (etcd's Storage) on the
 * SQLite RaftLogStore. Everything it returns is already durable, because the
 * engine writes the store only while handling a Ready, before advance().
 *
 * Snapshots are not wired in yet: the engine never reports one taken, so the
 * log is never compacted and the snapshot is always the empty one.
 */
export class RaftLogStorage implements RaftStorage {
  constructor(private readonly logStore: RaftLogStore) {}

  initialState(): HardState {
    return this.logStore.hardState();
  }

  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] | undefined {
    if (lo < this.logStore.firstIndex()) return undefined;
    return this.logStore.entries(lo, hi, maxBytes);
  }

  term(index: number): number | undefined {
    return this.logStore.term(index);
  }

  firstIndex(): number {
    return this.logStore.firstIndex();
  }

  lastIndex(): number {
    return this.logStore.lastIndex();
  }

  snapshot(): SnapshotMeta {
    return emptySnapshotMeta;
  }
}
