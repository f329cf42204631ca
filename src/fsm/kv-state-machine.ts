import { fromBinary } from "@bufbuild/protobuf";
import { Database, type Statement } from "bun:sqlite";
import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import { CommandSchema, type Command, type DeleteCommand, type PutCommand } from "../gen/raftkv/v1/command_pb.ts";
import type { Entry } from "../raft/entry.ts";
import { fsyncFile, fsyncParentDir } from "../storage/fs-sync.ts";
import { errorMessage, openWalDatabase } from "../storage/sqlite-file.ts";
import { WalCheckpointer } from "../storage/wal-checkpointer.ts";
import { copyDatabaseInWorker } from "./consistent-copy.ts";
import { classifyRangeEnd, compareKeys } from "./key-range.ts";
import type { AppliedPosition, ApplyResult, RangeQuery, RangeResult, SnapshotPosition, StoredKv } from "./kv-types.ts";

interface KvRow {
  key: Uint8Array;
  value: Uint8Array;
  create_index: number;
  mod_index: number;
  version: number;
  lease: number;
}

const kvColumns = "key, value, create_index, mod_index, version, lease";
const keyColumns = "key, X'' AS value, create_index, mod_index, version, lease";

const schema = [
  // A rowid table (not WITHOUT ROWID): values are often hundreds of bytes, and
  // SQLite's WITHOUT ROWID tables suit rows under ~1/20 of a page. Measured
  // here: 100 random 256 B puts apply in ~1.1 ms against ~2.0 ms.
  `CREATE TABLE IF NOT EXISTS kv (
    key BLOB PRIMARY KEY,
    value BLOB NOT NULL,
    create_index INTEGER NOT NULL,
    mod_index INTEGER NOT NULL,
    version INTEGER NOT NULL,
    lease INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS fsm_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    applied_index INTEGER NOT NULL,
    applied_term INTEGER NOT NULL
  )`,
  "INSERT OR IGNORE INTO fsm_state (id, applied_index, applied_term) VALUES (1, 0, 0)",
  // The last applied config entry: a snapshot copy then carries the membership as of its index.
  `CREATE TABLE IF NOT EXISTS fsm_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    config_index INTEGER NOT NULL,
    config_term INTEGER NOT NULL,
    config_data BLOB NOT NULL
  )`,
];

interface ConfigRow {
  config_index: number;
  config_term: number;
  config_data: Uint8Array;
}

const selectConfigSql = "SELECT config_index, config_term, config_data FROM fsm_config WHERE id = 1";

/** Every statement the state machine runs, prepared once per connection. */
function prepareStatements(db: Database) {
  return {
    upsert: db.prepare(
      `INSERT INTO kv (key, value, create_index, mod_index, version, lease) VALUES (?, ?, ?, ?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_index = excluded.mod_index,
         version = kv.version + 1, lease = excluded.lease`,
    ),
    get: db.prepare(`SELECT ${kvColumns} FROM kv WHERE key = ?`),
    getKeyOnly: db.prepare(`SELECT ${keyColumns} FROM kv WHERE key = ?`),
    deleteOne: db.prepare("DELETE FROM kv WHERE key = ?"),
    deleteBefore: db.prepare("DELETE FROM kv WHERE key >= ? AND key < ?"),
    deleteFrom: db.prepare("DELETE FROM kv WHERE key >= ?"),
    deleteBeforeReturning: db.prepare(`DELETE FROM kv WHERE key >= ? AND key < ? RETURNING ${kvColumns}`),
    deleteFromReturning: db.prepare(`DELETE FROM kv WHERE key >= ? RETURNING ${kvColumns}`),
    rangeBefore: db.prepare(`SELECT ${kvColumns} FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`),
    rangeFrom: db.prepare(`SELECT ${kvColumns} FROM kv WHERE key >= ? ORDER BY key LIMIT ?`),
    keysBefore: db.prepare(`SELECT ${keyColumns} FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`),
    keysFrom: db.prepare(`SELECT ${keyColumns} FROM kv WHERE key >= ? ORDER BY key LIMIT ?`),
    countBefore: db.prepare("SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ?"),
    countFrom: db.prepare("SELECT count(*) AS n FROM kv WHERE key >= ?"),
    all: db.prepare(`SELECT ${kvColumns} FROM kv ORDER BY key`),
    selectApplied: db.prepare("SELECT applied_index, applied_term FROM fsm_state WHERE id = 1"),
    updateApplied: db.prepare("UPDATE fsm_state SET applied_index = ?, applied_term = ? WHERE id = 1"),
    selectConfig: db.prepare(selectConfigSql),
    upsertConfig: db.prepare(
      `INSERT INTO fsm_config (id, config_index, config_term, config_data) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET config_index = excluded.config_index, config_term = excluded.config_term,
         config_data = excluded.config_data`,
    ),
  } satisfies Record<string, Statement>;
}

type Statements = ReturnType<typeof prepareStatements>;

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
 */
export class KvStateMachine {
  readonly #path: string;
  #db: Database;
  #stmt: Statements;
  #applied: AppliedPosition;
  #lastConfig: Entry | undefined;
  #checkpointer: WalCheckpointer;
  #snapshotsInFlight = 0;
  #closed = false;

  private constructor(path: string, db: Database) {
    this.#path = path;
    this.#db = db;
    this.#stmt = prepareStatements(db);
    this.#applied = this.#readApplied();
    this.#lastConfig = configEntry(this.#stmt.selectConfig.get() as ConfigRow | null);
    this.#checkpointer = WalCheckpointer.start(path, { sync: "normal" });
  }

  static open(path: string): KvStateMachine {
    // A restore that crashed before its rename leaves this behind; the old state stands.
    rmSync(restoreTempPath(path), { force: true });
    const db = openKvDatabase(path);
    try {
      return new KvStateMachine(path, db);
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
   * write; only an I/O failure throws, and then nothing of the batch is kept.
   */
  applyBatch(entries: readonly Entry[]): ApplyResult[] {
    this.#assertOpen();
    const head = entries[0];
    if (head === undefined) return [];
    entries.forEach((entry, i) => {
      if (entry.index !== head.index + i) {
        throw new RangeError(`entries to apply are not contiguous: position ${i} has index ${entry.index}, expected ${head.index + i}`);
      }
    });
    if (head.index > this.#applied.index + 1) {
      throw new RangeError(
        `cannot apply entry ${head.index}: the applied index is ${this.#applied.index} (entry ${this.#applied.index + 1} is missing)`,
      );
    }
    const fresh = head.index > this.#applied.index ? entries : entries.slice(this.#applied.index + 1 - head.index);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return [];
    const results = this.#db.transaction(() => {
      const out = fresh.map((entry) => this.#applyEntry(entry));
      this.#stmt.updateApplied.run(last.index, last.term);
      return out;
    }).immediate();
    this.#applied = { index: last.index, term: last.term };
    const config = fresh.findLast((e) => e.kind === "config");
    if (config !== undefined) this.#lastConfig = config;
    return results;
  }

  get(key: Uint8Array): StoredKv | undefined {
    this.#assertOpen();
    const row = this.#stmt.get.get(key) as KvRow | null;
    return row === null ? undefined : toStoredKv(row);
  }

  /** Keys in memcmp order, at most `limit` of them read from SQLite (LIMIT), so memory stays bounded. */
  range(q: RangeQuery): RangeResult {
    this.#assertOpen();
    const bound = classifyRangeEnd(q.end);
    if (!Number.isSafeInteger(q.limit) || q.limit < 0) {
      throw new RangeError(`range limit must be a non-negative integer, got ${q.limit}`);
    }
    switch (bound.kind) {
      case "single": {
        const row = (q.keysOnly ? this.#stmt.getKeyOnly : this.#stmt.get).get(q.start) as KvRow | null;
        const kvs = row === null || q.countOnly ? [] : [toStoredKv(row)];
        return { kvs, more: false, count: row === null ? 0 : 1 };
      }
      case "before": {
        if (compareKeys(q.start, bound.end) >= 0) return { kvs: [], more: false, count: 0 };
        const count = () => (this.#stmt.countBefore.get(q.start, bound.end) as { n: number }).n;
        if (q.countOnly) return { kvs: [], more: false, count: count() };
        const page = (q.keysOnly ? this.#stmt.keysBefore : this.#stmt.rangeBefore).all(
          q.start,
          bound.end,
          sqlLimit(q.limit),
        ) as KvRow[];
        return pageResult(page, q.limit, count);
      }
      case "unbounded": {
        const count = () => (this.#stmt.countFrom.get(q.start) as { n: number }).n;
        if (q.countOnly) return { kvs: [], more: false, count: count() };
        const page = (q.keysOnly ? this.#stmt.keysFrom : this.#stmt.rangeFrom).all(q.start, sqlLimit(q.limit)) as KvRow[];
        return pageResult(page, q.limit, count);
      }
      default:
        return assertNever(bound);
    }
  }

  /**
   * SHA-256 over every key with its value and metadata, in key order: equal on
   * replicas that applied the same entries. The applied position is not part
   * of it (compare appliedIndex() separately). Streams rows; O(keys) time.
   */
  hash(): string {
    this.#assertOpen();
    const hasher = new Bun.CryptoHasher("sha256");
    const headerBytes = new Uint8Array(40);
    const header = new DataView(headerBytes.buffer);
    for (const row of this.#stmt.all.iterate() as IterableIterator<KvRow>) {
      header.setUint32(0, row.key.length);
      header.setUint32(4, row.value.length);
      header.setFloat64(8, row.create_index);
      header.setFloat64(16, row.mod_index);
      header.setFloat64(24, row.version);
      header.setFloat64(32, row.lease);
      hasher.update(headerBytes);
      hasher.update(row.key);
      hasher.update(row.value);
    }
    return hasher.digest("hex");
  }

  /**
   * Writes a consistent copy of the database (data and applied position of
   * one committed state) to `path`, which must not exist, and returns that
   * position. The copy runs on another connection in a Worker, so applies on
   * this connection continue meanwhile. The copy is not fsynced: the snapshot
   * store does that when it imports the file.
   */
  async snapshotTo(path: string): Promise<SnapshotPosition> {
    this.#assertOpen();
    if (existsSync(path)) throw new Error(`snapshot target ${path} already exists`);
    this.#snapshotsInFlight++;
    try {
      await copyDatabaseInWorker(this.#path, path);
    } finally {
      this.#snapshotsInFlight--;
    }
    return readSnapshotPosition(path);
  }

  /**
   * Replaces the whole state with the snapshot at `path` (left in place; it
   * is copied). Crash safety: the copy is fsynced beside the database, this
   * connection is closed after a full checkpoint (so no WAL of the old state
   * can be replayed onto the new file), then the copy is renamed over the
   * database file, atomically. A crash before the rename leaves the old state
   * (the stray copy is removed on open), after it the new one.
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
      this.#db = openKvDatabase(this.#path);
      this.#stmt = prepareStatements(this.#db);
      this.#applied = this.#readApplied();
      this.#lastConfig = configEntry(this.#stmt.selectConfig.get() as ConfigRow | null);
      this.#checkpointer = WalCheckpointer.start(this.#path, { sync: "normal" });
    }
    return position;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#checkpointer.stop();
    this.#detach();
  }

  /** Checkpoints the WAL fully into the database file and closes the connection. */
  #detach(): boolean {
    const result = this.#db.query("PRAGMA wal_checkpoint(TRUNCATE)").get() as {
      busy: number;
      log: number;
      checkpointed: number;
    } | null;
    for (const stmt of Object.values(this.#stmt)) stmt.finalize();
    this.#db.close();
    return result !== null && result.busy === 0 && result.log === result.checkpointed;
  }

  #readApplied(): AppliedPosition {
    const row = this.#stmt.selectApplied.get() as { applied_index: number; applied_term: number } | null;
    if (row === null) throw new Error(`state machine database ${this.#path} has no applied position`);
    return { index: row.applied_index, term: row.applied_term };
  }

  #applyEntry(entry: Entry): ApplyResult {
    switch (entry.kind) {
      case "noop":
        return { kind: "none", index: entry.index };
      case "config":
        this.#stmt.upsertConfig.run(entry.index, entry.term, entry.data);
        return { kind: "none", index: entry.index };
      case "normal":
        return this.#applyCommand(entry.index, entry.data);
      default:
        return assertNever(entry.kind);
    }
  }

  #applyCommand(index: number, data: Uint8Array): ApplyResult {
    let command: Command;
    try {
      command = fromBinary(CommandSchema, data);
    } catch (err) {
      return { kind: "error", index, message: `entry ${index}: undecodable command: ${errorMessage(err)}` };
    }
    switch (command.op.case) {
      case "put":
        return this.#applyPut(index, command.op.value);
      case "delete":
        return this.#applyDelete(index, command.op.value);
      case "txn":
      case "leaseGrant":
      case "leaseRevoke":
      case "compact":
        return { kind: "error", index, message: `entry ${index}: ${command.op.case} is not supported by this version` };
      case undefined:
        return { kind: "error", index, message: `entry ${index}: command has no operation` };
      default:
        return assertNever(command.op);
    }
  }

  #applyPut(index: number, put: PutCommand): ApplyResult {
    if (put.key.length === 0) return { kind: "error", index, message: `entry ${index}: put with an empty key` };
    const prevRow = put.prevKv ? (this.#stmt.get.get(put.key) as KvRow | null) : null;
    this.#stmt.upsert.run(put.key, put.value, index, index, put.lease);
    return prevRow === null ? { kind: "put", index } : { kind: "put", index, prev: toStoredKv(prevRow) };
  }

  #applyDelete(index: number, del: DeleteCommand): ApplyResult {
    const bound = classifyRangeEnd(del.rangeEnd);
    switch (bound.kind) {
      case "single": {
        if (del.key.length === 0) return { kind: "error", index, message: `entry ${index}: delete with an empty key` };
        const prevRow = del.prevKv ? (this.#stmt.get.get(del.key) as KvRow | null) : null;
        const deleted = this.#stmt.deleteOne.run(del.key).changes;
        return { kind: "delete", index, deleted, prevs: prevRow === null ? [] : [toStoredKv(prevRow)] };
      }
      case "before": {
        if (compareKeys(del.key, bound.end) >= 0) return { kind: "delete", index, deleted: 0, prevs: [] };
        if (!del.prevKv) {
          return { kind: "delete", index, deleted: this.#stmt.deleteBefore.run(del.key, bound.end).changes, prevs: [] };
        }
        const rows = this.#stmt.deleteBeforeReturning.all(del.key, bound.end) as KvRow[];
        return { kind: "delete", index, deleted: rows.length, prevs: sortedKvs(rows) };
      }
      case "unbounded": {
        if (!del.prevKv) {
          return { kind: "delete", index, deleted: this.#stmt.deleteFrom.run(del.key).changes, prevs: [] };
        }
        const rows = this.#stmt.deleteFromReturning.all(del.key) as KvRow[];
        return { kind: "delete", index, deleted: rows.length, prevs: sortedKvs(rows) };
      }
      default:
        return assertNever(bound);
    }
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
  const db = openWalDatabase(path, "normal", { cacheKiB: 32 * 1024, walAutocheckpointPages: 20_000 });
  try {
    for (const statement of schema) db.exec(statement);
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
    return config === undefined
      ? { index: row.applied_index, term: row.applied_term }
      : { index: row.applied_index, term: row.applied_term, config };
  } catch (err) {
    throw new Error(`${path} is not a usable state machine snapshot: ${errorMessage(err)}`, { cause: err });
  } finally {
    db?.close();
  }
}

function configEntry(row: ConfigRow | null): Entry | undefined {
  return row === null ? undefined : { index: row.config_index, term: row.config_term, kind: "config", data: row.config_data };
}

function sqlLimit(limit: number): number {
  // One extra row tells whether there is more; -1 is SQLite's "no limit".
  return limit === 0 ? -1 : limit + 1;
}

function pageResult(rows: KvRow[], limit: number, count: () => number): RangeResult {
  if (limit === 0 || rows.length <= limit) {
    return { kvs: rows.map(toStoredKv), more: false, count: rows.length };
  }
  const next = rows[limit] as KvRow;
  return { kvs: rows.slice(0, limit).map(toStoredKv), more: true, count: count(), nextKey: next.key };
}

function sortedKvs(rows: KvRow[]): StoredKv[] {
  // RETURNING yields rows in no promised order.
  return rows.map(toStoredKv).sort((a, b) => compareKeys(a.key, b.key));
}

function toStoredKv(row: KvRow): StoredKv {
  return {
    key: row.key,
    value: row.value,
    createIndex: row.create_index,
    modIndex: row.mod_index,
    version: row.version,
    lease: Number(row.lease),
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
