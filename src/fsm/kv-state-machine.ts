import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import type { StateMachine } from "../engine/state-machine.ts";
import { processFailpoints } from "../failpoint/failpoints.ts";
import { errorMessage } from "../log/error-message.ts";
import type { Entry } from "../raft/entry.ts";
import { fsyncFile, fsyncParentDir } from "../storage/fs-sync.ts";
import type { FileDigest } from "../storage/snapshot-store.ts";
import { openWalDatabase } from "../storage/sqlite-file.ts";
import { WalCheckpointer } from "../storage/wal-checkpointer.ts";
import { ChangeFeed } from "./change-feed.ts";
import { type HistoryInterval, readCompactIndex, readHistory, readPreviousRevision } from "./change-history.ts";
import { CommandApplier } from "./command-applier.ts";
import { copyDatabaseInWorker } from "./consistent-copy.ts";
import { type DbSpace, ensureIncrementalVacuum, readDbSpace, reclaimFreePages } from "./db-space.ts";
import { readRange } from "./key-range-reader.ts";
import { KeySpaceWriter } from "./key-space-writer.ts";
import { hashState } from "./kv-hash.ts";
import {
  type ConfigRow,
  type KvRow,
  type KvStatements,
  type LeaseRow,
  migrateSchema,
  prepareStatements,
  schema,
  selectConfigSql,
  toLeaseRecord,
  toStoredKv,
} from "./kv-schema.ts";
import type { KvStoreView } from "./kv-store-view.ts";
import type {
  AppliedPosition,
  ApplyResult,
  ChangeNotice,
  HistoryPage,
  LeaseRecord,
  QuotaAlarm,
  RangeQuery,
  RangeResult,
  SnapshotCopy,
  SnapshotPosition,
  StoredKv,
} from "./kv-types.ts";
import type { TxnReads } from "./txn-runner.ts";

export interface KvStateMachineOptions {
  /**
   * Record every change in the history table (default true). Off only as a
   * benchmark baseline: Watch cannot replay without it, and the hash of a
   * replica without history differs from one with it.
   */
  readonly recordHistory?: boolean;
  /** Where a throwing change listener's error goes (default: console.error). */
  readonly reportListenerError?: (err: unknown) => void;
  /** Bytes of keys and values all reads of one transaction may answer (see TxnReads.maxBytes; default: no bound). */
  readonly maxTxnReadBytes?: number;
}

/** Statements and the objects built on them; rebuilt when a restore reopens the file. */
interface Connection {
  readonly db: Database;
  readonly stmt: KvStatements;
  readonly writer: KeySpaceWriter;
  readonly applier: CommandApplier;
}

/**
 * The key-value state machine on its own SQLite file (WAL).
 *
 * Durability: synchronous=NORMAL. A commit survives a process crash (it is
 * in the OS page cache) but the newest commits may be lost on power loss;
 * the file is never corrupted. That is safe because the Raft log
 * (synchronous=FULL) is the durable source: the applied index is written in
 * the same transaction as the data, so after any crash the FSM is exactly the
 * state at some applied index, and the engine replays the log above it. The
 * engine must therefore keep log entries above the FSM's durable applied
 * index, and restore the newest snapshot when appliedIndex() is below the
 * log's compaction boundary (possible only after power loss).
 *
 * Restart cost: open + a one-row read of the applied position; no scan.
 *
 * Besides the keys, the file holds the leases (table `lease`) and the
 * history of every change (table `history`, for Watch replay, dropped below
 * an index only by a replicated compact command), so both survive restarts
 * and travel in snapshots. The history is not compacted on its own: whoever
 * proposes commands must propose compactions, or it grows with every write.
 */
export class KvStateMachine implements StateMachine<ApplyResult>, KvStoreView {
  readonly #path: string;
  readonly #recordHistory: boolean;
  readonly #maxTxnReadBytes: number;
  readonly #feed: ChangeFeed;
  #conn: Connection;
  #applied: AppliedPosition;
  #lastConfig: Entry | undefined;
  #checkpointer: WalCheckpointer;
  #snapshotsInFlight = 0;
  #closed = false;

  private constructor(path: string, db: Database, options: KvStateMachineOptions) {
    this.#path = path;
    this.#recordHistory = options.recordHistory ?? true;
    this.#maxTxnReadBytes = options.maxTxnReadBytes ?? Number.POSITIVE_INFINITY;
    this.#feed = new ChangeFeed(options.reportListenerError ?? ((err) => console.error("raftkv: a change listener threw:", err)));
    this.#conn = this.#connect(db);
    this.#applied = this.#readApplied();
    this.#lastConfig = configEntry(this.#conn.stmt.selectConfig.get() as ConfigRow | null);
    this.#checkpointer = WalCheckpointer.start(path, { sync: "normal" });
  }

  static open(path: string, options: KvStateMachineOptions = {}): KvStateMachine {
    // A restore that crashed before its rename leaves this behind; the old state stands.
    rmSync(restoreTempPath(path), { force: true });
    const db = openKvDatabase(path);
    try {
      return new KvStateMachine(path, db, options);
    } catch (err) {
      db.close();
      throw new Error(`opening state machine ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  get path(): string {
    return this.#path;
  }

  appliedIndex(): number {
    return this.#applied.index;
  }

  appliedTerm(): number {
    return this.#applied.term;
  }

  /** The last config entry applied (its membership is the one as of appliedIndex()); undefined if none yet. */
  lastConfigEntry(): Entry | undefined {
    return this.#lastConfig;
  }

  /**
   * Applies committed entries in ONE transaction, the applied position
   * included. Entries at or below the applied index are skipped (replay after
   * restart); results are returned for the newly applied entries only, in
   * order. A command that cannot be applied yields an "error" result and no
   * write (a refused txn is rolled back to its savepoint; the rest of the
   * batch applies); only an I/O failure throws, and then nothing of the batch
   * is kept. After the commit, change listeners hear the batch's events.
   *
   * `answered` says which entries someone awaits the result of (default:
   * all); the read operations of a transaction nobody awaits are not
   * evaluated (a follower must not build answers nobody reads).
   */
  applyBatch(entries: readonly Entry[], answered?: (entry: Entry) => boolean): ApplyResult[] {
    this.#assertOpen();
    const head = entries[0];
    if (head === undefined) return [];
    entries.forEach((entry, i) => {
      if (entry.index !== head.index + i) {
        throw new RangeError(`entries to apply are not contiguous: position ${i} has index ${entry.index}, expected ${head.index + i}`);
      }
    });
    if (head.index > this.#applied.index + 1) {
      throw new RangeError(`cannot apply entry ${head.index}: the applied index is ${this.#applied.index} (entry ${this.#applied.index + 1} is missing)`);
    }
    const fresh = head.index > this.#applied.index ? entries : entries.slice(this.#applied.index + 1 - head.index);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return [];
    const { db, stmt, writer, applier } = this.#conn;
    let results: ApplyResult[];
    try {
      results = db
        .transaction(() => {
          const evaluated: TxnReads = { evaluate: true, maxBytes: this.#maxTxnReadBytes };
          const skipped: TxnReads = { evaluate: false, maxBytes: 0 };
          const out = fresh.map((entry) => applier.apply(entry, answered === undefined || answered(entry) ? evaluated : skipped));
          stmt.updateApplied.run(last.index, last.term);
          return out;
        })
        .immediate();
    } catch (err) {
      writer.takeEvents();
      throw err;
    }
    this.#applied = { index: last.index, term: last.term };
    const config = fresh.findLast((e) => e.kind === "config");
    if (config !== undefined) this.#lastConfig = config;
    this.#feed.publish({ kind: "applied", index: last.index, events: writer.takeEvents() });
    return results;
  }

  /**
   * Calls `listener` synchronously after each committed applyBatch (with the
   * batch's events, possibly none) and after restoreFrom ({kind:"restored"}).
   * Returns the function that unsubscribes it.
   */
  onChange(listener: (notice: ChangeNotice) => void): () => void {
    return this.#feed.subscribe(listener);
  }

  get(key: Uint8Array): StoredKv | undefined {
    this.#assertOpen();
    const row = this.#conn.stmt.get.get(key) as KvRow | null;
    return row === null ? undefined : toStoredKv(row);
  }

  /** Keys in memcmp order, at most `limit` of them read from SQLite (LIMIT), so memory stays bounded. */
  range(q: RangeQuery): RangeResult {
    this.#assertOpen();
    return readRange(this.#conn.stmt, q);
  }

  /**
   * Changes with index >= fromIndex to keys in the interval (RangeQuery's end
   * conventions: empty end = the single key `start`, undefined or [0x00] =
   * unbounded), in index order and, within an entry, operation order. At
   * most about `limit` events (0 = no limit): a page never ends inside an
   * index, so continuing from the last event's index + 1 is exact. Answers
   * "compacted" when fromIndex is below compactIndex().
   */
  historySince(fromIndex: number, interval: HistoryInterval, limit: number): HistoryPage {
    this.#assertOpen();
    if (!this.#recordHistory) return { kind: "compacted", compactIndex: this.#applied.index + 1 };
    return readHistory(this.#conn.stmt, fromIndex, interval, limit);
  }

  /** The oldest index from which history replay is complete (1 on a store that has never been compacted). */
  compactIndex(): number {
    this.#assertOpen();
    if (!this.#recordHistory) return this.#applied.index + 1;
    return readCompactIndex(this.#conn.stmt);
  }

  /**
   * The key's state just before the change at `beforeIndex` (for Watch's
   * prev_kv when an event came without prev). undefined when the key did not
   * exist then, or when its last change before that index was compacted away.
   */
  previousRevision(key: Uint8Array, beforeIndex: number): StoredKv | undefined {
    this.#assertOpen();
    return readPreviousRevision(this.#conn.stmt, key, beforeIndex);
  }

  lease(id: number): LeaseRecord | undefined {
    this.#assertOpen();
    const row = this.#conn.stmt.selectLease.get(id) as LeaseRow | null;
    return row === null ? undefined : toLeaseRecord(row);
  }

  /** Every lease, by id. */
  leases(): LeaseRecord[] {
    this.#assertOpen();
    return (this.#conn.stmt.allLeases.all() as LeaseRow[]).map(toLeaseRecord);
  }

  /** How many leases exist. */
  leaseCount(): number {
    this.#assertOpen();
    return (this.#conn.stmt.countLeases.get() as { n: number }).n;
  }

  /** The keys attached to the lease, in key order (none for an unknown lease). */
  leaseKeys(id: number): Uint8Array[] {
    this.#assertOpen();
    return (this.#conn.stmt.keysOfLease.all(id) as { key: Uint8Array }[]).map((row) => row.key);
  }

  /** The database's size and the part of it in use (cheap: three pragmas). */
  dbSpace(): DbSpace {
    this.#assertOpen();
    return readDbSpace(this.#conn.db);
  }

  /**
   * Gives up to `maxPages` free pages back to the file system, on this
   * connection (one short write transaction between applies). Returns how
   * many it freed; 0 when nothing is free.
   */
  reclaimSpace(maxPages: number): number {
    this.#assertOpen();
    return reclaimFreePages(this.#conn.db, maxPages);
  }

  /** The replicated quota alarm as of the applied index. */
  quotaAlarm(): QuotaAlarm {
    this.#assertOpen();
    return this.#conn.applier.alarm;
  }

  /** How many keys the store holds (a count over the key index: for status and backups, not per request). */
  keyCount(): number {
    this.#assertOpen();
    return (this.#conn.stmt.countKeys.get() as { n: number }).n;
  }

  /** See hashState: keys, leases and history, equal on replicas that applied the same entries. */
  hash(): string {
    this.#assertOpen();
    return hashState(this.#conn.stmt);
  }

  /**
   * Writes a consistent copy of the database (data, leases, history and
   * applied position of one committed state) to `path`, which must not exist,
   * and returns that position. The copy runs on another connection in a
   * Worker, so applies on this connection continue meanwhile. The copy is
   * fsynced, and its size and checksum come back with the position.
   */
  async snapshotTo(path: string): Promise<SnapshotCopy> {
    this.#assertOpen();
    if (existsSync(path)) throw new Error(`snapshot target ${path} already exists`);
    this.#snapshotsInFlight++;
    let file: FileDigest;
    try {
      file = await copyDatabaseInWorker(this.#path, path);
    } finally {
      this.#snapshotsInFlight--;
    }
    return { ...readSnapshotPosition(path), file };
  }

  /**
   * Replaces the whole state with the snapshot at `path` (left in place; it
   * is copied). Crash safety: the copy is fsynced beside the database, this
   * connection is closed after a full checkpoint (so no WAL of the old state
   * can be replayed onto the new file), then the copy is renamed over the
   * database file, atomically. A crash before the rename leaves the old state
   * (the stray copy is removed on open), after it the new one. Change
   * listeners then hear {kind:"restored"}: events may have been skipped.
   */
  restoreFrom(path: string): SnapshotPosition {
    this.#assertOpen();
    if (this.#snapshotsInFlight > 0) {
      throw new Error(`cannot restore from ${path}: a snapshot of ${this.#path} is being written`);
    }
    const position = readSnapshotPosition(path);
    const temp = restoreTempPath(this.#path);
    copyFileSync(path, temp);
    fsyncFile(temp);
    processFailpoints()?.hit("snapshot.restore.mid");
    this.#checkpointer.stop();
    try {
      // Deleting the WAL is only harmless once all of it is in the database file.
      if (!this.#detach()) {
        rmSync(temp, { force: true });
        throw new Error(`cannot restore ${this.#path}: its WAL could not be checkpointed completely`);
      }
      rmSync(`${this.#path}-wal`, { force: true });
      rmSync(`${this.#path}-shm`, { force: true });
      renameSync(temp, this.#path);
      fsyncParentDir(this.#path);
    } finally {
      // Reopen whichever state is now in place, so the object stays usable.
      this.#conn = this.#connect(openKvDatabase(this.#path));
      this.#applied = this.#readApplied();
      this.#lastConfig = configEntry(this.#conn.stmt.selectConfig.get() as ConfigRow | null);
      this.#checkpointer = WalCheckpointer.start(this.#path, { sync: "normal" });
    }
    this.#feed.publish({ kind: "restored", index: this.#applied.index });
    return position;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#checkpointer.stop();
    this.#detach();
  }

  #connect(db: Database): Connection {
    const stmt = prepareStatements(db);
    const writer = new KeySpaceWriter(stmt, this.#recordHistory);
    return { db, stmt, writer, applier: new CommandApplier(db, stmt, writer) };
  }

  /** Checkpoints the WAL fully into the database file and closes the connection. */
  #detach(): boolean {
    const { db, stmt } = this.#conn;
    const result = db.query("PRAGMA wal_checkpoint(TRUNCATE)").get() as {
      busy: number;
      log: number;
      checkpointed: number;
    } | null;
    for (const statement of Object.values(stmt)) statement.finalize();
    db.close();
    return result !== null && result.busy === 0 && result.log === result.checkpointed;
  }

  #readApplied(): AppliedPosition {
    const row = this.#conn.stmt.selectApplied.get() as { applied_index: number; applied_term: number } | null;
    if (row === null) throw new Error(`state machine database ${this.#path} has no applied position`);
    return { index: row.applied_index, term: row.applied_term };
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`state machine ${this.#path} is closed`);
  }
}

function openKvDatabase(path: string): Database {
  // See the class comment for why NORMAL is safe here.
  // A larger page cache (default 2 MB) keeps the interior b-tree pages of a
  // large key space (1M keys ≈ 300 MB) in memory for scattered puts and gets.
  // Checkpoints run in a WalCheckpointer worker; SQLite's own automatic
  // checkpoint (on the committing thread) is only the fallback, at a WAL of
  // ~80 MB. Crash recovery reads at most that WAL: well under a second.
  // Incremental auto-vacuum: space freed by deletes and history compaction goes back to the
  // file system in small background steps (SpaceReclaimer), never in a stop-the-world VACUUM.
  const db = openWalDatabase(path, "normal", { cacheKiB: 32 * 1024, walAutocheckpointPages: 20_000, autoVacuum: "incremental" });
  try {
    for (const statement of schema) db.exec(statement);
    migrateSchema(db);
    // A file from an older raftkv (or a snapshot of one) is rewritten once, here, to incremental auto-vacuum.
    ensureIncrementalVacuum(db);
    return db;
  } catch (err) {
    db.close();
    throw new Error(`opening state machine database ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

function restoreTempPath(path: string): string {
  return `${path}.restore`;
}

/** Reads the applied position stored in a snapshot copy, which also checks it is a state machine database. */
function readSnapshotPosition(path: string): SnapshotPosition {
  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true });
    db.query("SELECT key FROM kv LIMIT 1").get();
    const row = db.query("SELECT applied_index, applied_term FROM fsm_state WHERE id = 1").get() as {
      applied_index: number;
      applied_term: number;
    } | null;
    if (row === null) throw new Error("no applied position");
    const config = configEntry(db.query(selectConfigSql).get() as ConfigRow | null);
    return config === undefined ? { index: row.applied_index, term: row.applied_term } : { index: row.applied_index, term: row.applied_term, config };
  } catch (err) {
    throw new Error(`${path} is not a usable state machine snapshot: ${errorMessage(err)}`, { cause: err });
  } finally {
    db?.close();
  }
}

function configEntry(row: ConfigRow | null): Entry | undefined {
  return row === null ? undefined : { index: row.config_index, term: row.config_term, kind: "config", data: row.config_data };
}
