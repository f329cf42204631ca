import type { Entry } from "../raft/entry.ts";
import type { HardState } from "../raft/hard-state.ts";

/** What `persist` writes in one transaction (one fsync). */
export interface PersistBatch {
  readonly hardState?: HardState;
  readonly entries?: readonly Entry[];
  /** Metadata to set alongside. */
  readonly meta?: ReadonlyMap<string, Uint8Array>;
}

/** A snapshot the log store vouches for: the node's own log agrees with it. */
export interface SnapshotRecord {
  readonly index: number;
  readonly term: number;
}

/**
 * The engine's Raft log and stable store (raft.db in a node, memory in the
 * simulator). Every write is durable when it returns.
 *
 * Layout: entries (compactedIndex, lastIndex], with the term of the
 * compacted boundary remembered. Snapshot records say which snapshots
 * belong to this log: a snapshot file counts only once its record is here,
 * written in the same durable step as the log change it implies, so a
 * crash can never leave a state machine restored from a snapshot the log
 * knows nothing of (etcd keeps the same records in its WAL).
 */
export interface LogStore {
  firstIndex(): number;
  lastIndex(): number;
  lastTerm(): number;
  compactedIndex(): number;
  compactedTerm(): number;
  /** Term at index, also at the compaction boundary; undefined outside the log. */
  term(index: number): number | undefined;
  /** Entries [lo, hi), stopping once their payloads pass maxBytes (at least one). */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  hardState(): HardState;
  /** Hard state, entries and metadata, all or nothing. */
  persist(batch: PersistBatch): void;
  /** Deletes entries through `throughIndex` (whose term must be `throughTerm`). */
  compactPrefix(throughIndex: number, throughTerm: number): void;
  /**
   * Installs a snapshot received from a leader, in ONE durable step: the
   * snapshot is recorded, the log is reset to it (entries after it kept when
   * the log holds the snapshot's last entry, Raft §7) and the hard state
   * written. Only after this returns may the state machine be restored.
   */
  installSnapshot(record: SnapshotRecord, hardState: HardState): void;
  /** Records a snapshot of this node's own state machine, taken at a committed index. */
  recordSnapshot(record: SnapshotRecord): void;
  /** Snapshots this log vouches for, newest first. */
  snapshotRecords(): SnapshotRecord[];
  getMeta(key: string): Uint8Array | undefined;
  setMeta(key: string, value: Uint8Array): void;
}
