import type { Entry } from "../raft/entry.ts";
import type { HardState } from "../raft/hard-state.ts";
import { emptySnapshotMeta, type SnapshotMeta } from "../raft/snapshot-meta.ts";
import type { RaftStorage } from "../raft/storage.ts";
import type { LogStore } from "./log-store.ts";

/**
 * The core's read-only view of the durable log (etcd's Storage) on the
 * SQLite RaftLogStore. Everything it returns is already durable, because the
 * engine writes the store only while handling a Ready, before advance().
 *
 * The snapshot is the newest one the node holds (taken or received), as the
 * engine's snapshotter reports it; the empty one when snapshots are off.
 */
export class RaftLogStorage implements RaftStorage {
  constructor(
    private readonly logStore: LogStore,
    private readonly latestSnapshot: () => SnapshotMeta | undefined = () => undefined,
  ) {}

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
    const latest = this.latestSnapshot();
    if (latest === undefined) return emptySnapshotMeta;
    // Only the fields the core knows: the store's id, size and checksum stay out of messages.
    return { index: latest.index, term: latest.term, membership: latest.membership };
  }
}
