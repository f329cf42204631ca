import type { Database, Statement } from "bun:sqlite";
import type { LogStore, PersistBatch, SnapshotRecord } from "../engine/log-store.ts";
import { processFailpoints } from "../failpoint/failpoints.ts";
import { errorMessage } from "../log/error-message.ts";
import { type Entry, entryKindCode, entryKindFromCode } from "../raft/entry.ts";
import type { HardState } from "../raft/hard-state.ts";
import { maxTerm } from "../raft/term-limit.ts";
import { LogCompactedError, LogUnavailableError } from "./log-errors.ts";
import { RecentLogEntries } from "./recent-log-entries.ts";
import { openWalDatabase } from "./sqlite-file.ts";
import { StableStore, validateMetaKey } from "./stable-store.ts";

export type { PersistBatch } from "../engine/log-store.ts";

/** Snapshot records kept (newest first); older ones name files long pruned. */
const KEPT_SNAPSHOT_RECORDS = 16;

/** The validated effect of an append, computed before anything is written. */
interface AppendPlan {
  readonly entries: readonly Entry[];
  /** Delete stored entries with index >= this first (conflicting suffix). */
  readonly truncateFrom: number | undefined;
  readonly lastIndex: number;
  readonly lastTerm: number;
}

interface LogRow {
  idx: number;
  term: number;
  kind: number;
  data: Uint8Array;
}

/**
 * The Raft log and stable store on one SQLite file (WAL). Every write is
 * durable when it returns: synchronous=FULL fsyncs the WAL at each commit, and
 * Raft acknowledges entries and votes only after they are persisted.
 *
 * Invariants kept here (checked on every write, so a buggy caller gets an
 * error rather than a corrupt log): stored indexes are contiguous from
 * `compactedIndex + 1` to `lastIndex`; terms never decrease along the log; the
 * compaction boundary (index and term of the last compacted entry) is
 * remembered so `term(compactedIndex)` still answers, as the Raft consistency
 * check for the first entry after a snapshot needs it.
 *
 * firstIndex/lastIndex/lastTerm and the boundary are cached in memory, so the
 * hot path (term of last, append) costs no extra queries.
 */
export class RaftLogStore implements LogStore {
  readonly #db: Database;
  readonly #stable: StableStore;
  readonly #insertEntry: Statement;
  readonly #selectTerm: Statement;
  readonly #selectRange: Statement;
  readonly #deleteFrom: Statement;
  readonly #deleteThrough: Statement;
  readonly #deleteAll: Statement;
  readonly #upsertBoundary: Statement;
  readonly #insertRecord: Statement;
  readonly #selectRecords: Statement;
  readonly #pruneRecords: Statement;
  #compactedIndex: number;
  #compactedTerm: number;
  #lastIndex: number;
  #lastTerm: number;
  #closed = false;
  /** The newest entries written, so reads right after a write skip SQLite. */
  readonly #recent = new RecentLogEntries(4096, 8 * 1024 * 1024);
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  /** Told how long each persist's COMMIT took (see observeCommits). */
  #commitObserver: ((ms: number) => void) | undefined;

  private constructor(db: Database) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS log (
      idx INTEGER PRIMARY KEY,
      term INTEGER NOT NULL,
      kind INTEGER NOT NULL,
      data BLOB NOT NULL
    )`);
    db.exec(`CREATE TABLE IF NOT EXISTS log_boundary (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      compacted_index INTEGER NOT NULL,
      compacted_term INTEGER NOT NULL
    )`);
    db.exec(`CREATE TABLE IF NOT EXISTS snapshot_record (
      idx INTEGER NOT NULL,
      term INTEGER NOT NULL,
      PRIMARY KEY (idx, term)
    ) WITHOUT ROWID`);
    this.#stable = new StableStore(db);
    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    this.#rollback = db.prepare("ROLLBACK");
    this.#insertEntry = db.prepare("INSERT INTO log (idx, term, kind, data) VALUES (?, ?, ?, ?)");
    this.#selectTerm = db.prepare("SELECT term FROM log WHERE idx = ?");
    this.#selectRange = db.prepare("SELECT idx, term, kind, data FROM log WHERE idx >= ? AND idx < ? ORDER BY idx");
    this.#deleteFrom = db.prepare("DELETE FROM log WHERE idx >= ?");
    this.#deleteThrough = db.prepare("DELETE FROM log WHERE idx <= ?");
    this.#deleteAll = db.prepare("DELETE FROM log");
    this.#upsertBoundary = db.prepare(
      `INSERT INTO log_boundary (id, compacted_index, compacted_term) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET compacted_index = excluded.compacted_index, compacted_term = excluded.compacted_term`,
    );

    this.#insertRecord = db.prepare("INSERT OR IGNORE INTO snapshot_record (idx, term) VALUES (?, ?)");
    this.#selectRecords = db.prepare("SELECT idx, term FROM snapshot_record ORDER BY idx DESC, term DESC");
    this.#pruneRecords = db.prepare(
      `DELETE FROM snapshot_record WHERE (idx, term) NOT IN (SELECT idx, term FROM snapshot_record ORDER BY idx DESC, term DESC LIMIT ${KEPT_SNAPSHOT_RECORDS})`,
    );

    const boundary = db.query("SELECT compacted_index, compacted_term FROM log_boundary WHERE id = 1").get() as {
      compacted_index: number;
      compacted_term: number;
    } | null;
    this.#compactedIndex = boundary?.compacted_index ?? 0;
    this.#compactedTerm = boundary?.compacted_term ?? 0;
    // max/min on an INTEGER PRIMARY KEY are a single b-tree descent, not a scan.
    const last = db.query("SELECT idx, term FROM log ORDER BY idx DESC LIMIT 1").get() as {
      idx: number;
      term: number;
    } | null;
    const first = db.query("SELECT idx FROM log ORDER BY idx ASC LIMIT 1").get() as { idx: number } | null;
    if (first !== null && first.idx !== this.#compactedIndex + 1) {
      throw new Error(`raft log is inconsistent: first stored index ${first.idx} does not follow the compacted index ${this.#compactedIndex}`);
    }
    this.#lastIndex = last?.idx ?? this.#compactedIndex;
    this.#lastTerm = last?.term ?? this.#compactedTerm;
  }

  static open(path: string): RaftLogStore {
    // SQLite's automatic checkpoint (every ~4 MB of WAL) stays on: unlike the
    // FSM's, this WAL holds small appended frames, so its checkpoints are
    // short, and a background checkpointer (WalCheckpointer) measured worse
    // here: its fsyncs competed with the per-commit fsync (p50 append 0.2–0.6
    // ms without it, 1–2 ms with it) and the WAL kept growing under constant load.
    const db = openWalDatabase(path, "full");
    try {
      return new RaftLogStore(db);
    } catch (err) {
      db.close();
      throw new Error(`opening raft log store ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * Calls `observer` after every persist with the milliseconds its COMMIT
   * took (the WAL write and fsync): the fsync latency metric and the
   * slow-disk warning. One observer; a later call replaces it.
   */
  observeCommits(observer: ((ms: number) => void) | undefined): void {
    this.#commitObserver = observer;
  }

  /** Hard state and metadata, on the same connection (same transactions). */
  get stable(): StableStore {
    return this.#stable;
  }

  /** First index that can be read; compactedIndex + 1 (1 for a fresh log). */
  firstIndex(): number {
    return this.#compactedIndex + 1;
  }

  /** Last index in the log; the compacted index when no entries remain; 0 when fresh. */
  lastIndex(): number {
    return this.#lastIndex;
  }

  lastTerm(): number {
    return this.#lastTerm;
  }

  /** Index and term of the last compacted entry (0/0 when never compacted). */
  compactedIndex(): number {
    return this.#compactedIndex;
  }

  compactedTerm(): number {
    return this.#compactedTerm;
  }

  /** Term of the entry at `index`, also for the compaction boundary; undefined outside the log. */
  term(index: number): number | undefined {
    this.#assertOpen();
    if (index === this.#compactedIndex) return this.#compactedTerm;
    if (index === this.#lastIndex) return this.#lastTerm;
    if (!Number.isSafeInteger(index) || index < this.#compactedIndex || index > this.#lastIndex) return undefined;
    const recent = this.#recent.at(index);
    if (recent !== undefined) return recent.term;
    const row = this.#selectTerm.get(index) as { term: number } | null;
    if (row === null) {
      throw new Error(`raft log is inconsistent: entry ${index} missing between ${this.firstIndex()} and ${this.#lastIndex}`);
    }
    return row.term;
  }

  /**
   * Entries in [lo, hi), stopping once their payloads exceed `maxBytes` (at
   * least one entry is returned when the range is not empty). Throws
   * LogCompactedError / LogUnavailableError for ranges outside the log.
   */
  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    this.#assertOpen();
    requireIndex("lo", lo);
    requireIndex("hi", hi);
    if (lo > hi) throw new RangeError(`invalid entry range [${lo}, ${hi}): lo > hi`);
    if (lo <= this.#compactedIndex) throw new LogCompactedError(lo, this.firstIndex());
    if (hi > this.#lastIndex + 1) throw new LogUnavailableError(hi - 1, this.#lastIndex);
    const out: Entry[] = [];
    if (lo === hi) return out;
    const recent = this.#recent.slice(lo, hi, maxBytes);
    if (recent !== undefined) return recent;
    let bytes = 0;
    for (const row of this.#selectRange.iterate(lo, hi) as IterableIterator<LogRow>) {
      if (row.idx !== lo + out.length) {
        throw new Error(`raft log is inconsistent: expected entry ${lo + out.length}, found ${row.idx}`);
      }
      bytes += row.data.byteLength;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push({ index: row.idx, term: row.term, kind: entryKindFromCode(row.kind), data: row.data });
    }
    if (out.length === 0) {
      throw new Error(`raft log is inconsistent: no entries found in [${lo}, ${hi})`);
    }
    if (out.length < hi - lo && bytes <= maxBytes) {
      throw new Error(`raft log is inconsistent: expected ${hi - lo} entries from ${lo}, found ${out.length}`);
    }
    return out;
  }

  /**
   * Appends in one transaction. When the first new index is at or below
   * lastIndex, the stored suffix from there on is replaced (the leader's log
   * wins). Entries at or below the compaction boundary are already committed
   * and identical by the Log Matching property, so they are dropped.
   */
  append(entries: readonly Entry[]): void {
    this.persist({ entries });
  }

  /** Hard state, entries and metadata in ONE transaction: one fsync, all or nothing. */
  persist(batch: PersistBatch): void {
    this.#assertOpen();
    const plan = batch.entries === undefined || batch.entries.length === 0 ? undefined : this.#planAppend(batch.entries);
    if (batch.meta !== undefined) for (const key of batch.meta.keys()) validateMetaKey(key);
    if (plan === undefined && batch.hardState === undefined && (batch.meta === undefined || batch.meta.size === 0)) {
      return;
    }
    // BEGIN and COMMIT by hand (not db.transaction) so the COMMIT alone is timed: with
    // synchronous=FULL it is the WAL write and its fsync, the disk's share of a persist.
    this.#begin.run();
    try {
      if (batch.hardState !== undefined) this.#stable.writeHardState(batch.hardState);
      if (plan !== undefined) {
        this.#writeAppend(plan);
        // Written but not committed: a crash here loses the batch, as a crash before the fsync would.
        processFailpoints()?.hit("log.persist.before-commit");
      }
      if (batch.meta !== undefined) for (const [key, value] of batch.meta) this.#stable.setMeta(key, value);
      const commitStart = performance.now();
      this.#commit.run();
      this.#commitObserver?.(performance.now() - commitStart);
    } catch (err) {
      if (this.#db.inTransaction) this.#rollback.run();
      throw err;
    }
    if (batch.hardState !== undefined) this.#stable.rememberHardState(batch.hardState);
    if (plan !== undefined) {
      this.#lastIndex = plan.lastIndex;
      this.#lastTerm = plan.lastTerm;
      if (plan.truncateFrom !== undefined) this.#recent.truncateFrom(plan.truncateFrom);
      this.#recent.append(plan.entries);
    }
  }

  /** Deletes entries with index >= fromIndex. Compacted entries cannot be removed. */
  truncateSuffix(fromIndex: number): void {
    this.#assertOpen();
    requireIndex("fromIndex", fromIndex);
    if (fromIndex <= this.#compactedIndex) {
      throw new RangeError(`cannot truncate the log from ${fromIndex}: entries through ${this.#compactedIndex} are compacted (committed)`);
    }
    if (fromIndex > this.#lastIndex) return;
    const newLastTerm = this.#termOrThrow(fromIndex - 1);
    this.#deleteFrom.run(fromIndex);
    this.#recent.truncateFrom(fromIndex);
    this.#lastIndex = fromIndex - 1;
    this.#lastTerm = newLastTerm;
  }

  /**
   * Deletes entries <= throughIndex and remembers (throughIndex, throughTerm)
   * as the boundary. Compacting beyond lastIndex empties the log and moves
   * lastIndex to throughIndex. Compacting at or below the current boundary is
   * a no-op. The term must match the stored entry at throughIndex.
   */
  compactPrefix(throughIndex: number, throughTerm: number): void {
    this.#assertOpen();
    requireIndex("throughIndex", throughIndex);
    requireIndex("throughTerm", throughTerm);
    if (throughIndex <= this.#compactedIndex) {
      if (throughIndex === this.#compactedIndex && throughTerm !== this.#compactedTerm) {
        throw new RangeError(`cannot compact through ${throughIndex} at term ${throughTerm}: the boundary has term ${this.#compactedTerm}`);
      }
      return;
    }
    if (throughIndex <= this.#lastIndex) {
      const stored = this.#termOrThrow(throughIndex);
      if (stored !== throughTerm) {
        throw new RangeError(`cannot compact through ${throughIndex} at term ${throughTerm}: the stored entry has term ${stored}`);
      }
      this.#db
        .transaction(() => {
          this.#deleteThrough.run(throughIndex);
          this.#upsertBoundary.run(throughIndex, throughTerm);
        })
        .immediate();
      this.#recent.dropThrough(throughIndex);
      this.#compactedIndex = throughIndex;
      this.#compactedTerm = throughTerm;
      return;
    }
    if (throughTerm < this.#lastTerm) {
      throw new RangeError(
        `cannot compact through ${throughIndex} at term ${throughTerm}: the last entry ${this.#lastIndex} has a higher term ${this.#lastTerm}`,
      );
    }
    this.#replaceWithBoundary(throughIndex, throughTerm);
  }

  /**
   * Installing a snapshot (Raft §7) in one transaction: the record, the log
   * reset (entries after the snapshot kept when the log holds its last
   * entry, the whole log discarded otherwise; the snapshot becomes the
   * boundary either way) and the hard state.
   */
  installSnapshot(record: SnapshotRecord, hardState: HardState): void {
    this.#assertOpen();
    const { index, term } = record;
    requireIndex("index", index);
    requireTerm(term);
    if (index < this.#compactedIndex) {
      throw new RangeError(`snapshot index ${index} is below the compacted index ${this.#compactedIndex}`);
    }
    const keepsSuffix = this.term(index) === term;
    this.#db
      .transaction(() => {
        if (keepsSuffix) this.#deleteThrough.run(index);
        else this.#deleteAll.run();
        this.#upsertBoundary.run(index, term);
        this.#insertRecord.run(index, term);
        this.#pruneRecords.run();
        this.#stable.writeHardState(hardState);
      })
      .immediate();
    this.#stable.rememberHardState(hardState);
    if (keepsSuffix) {
      this.#recent.dropThrough(index);
    } else {
      this.#recent.clear();
      this.#lastIndex = index;
      this.#lastTerm = term;
    }
    this.#compactedIndex = index;
    this.#compactedTerm = term;
  }

  recordSnapshot(record: SnapshotRecord): void {
    this.#assertOpen();
    requireIndex("index", record.index);
    requireTerm(record.term);
    this.#db
      .transaction(() => {
        this.#insertRecord.run(record.index, record.term);
        this.#pruneRecords.run();
      })
      .immediate();
  }

  snapshotRecords(): SnapshotRecord[] {
    this.#assertOpen();
    return (this.#selectRecords.all() as { idx: number; term: number }[]).map((row) => ({ index: row.idx, term: row.term }));
  }

  hardState(): HardState {
    return this.#stable.hardState();
  }

  setHardState(hs: HardState): void {
    this.#assertOpen();
    this.#stable.setHardState(hs);
  }

  getMeta(key: string): Uint8Array | undefined {
    this.#assertOpen();
    return this.#stable.getMeta(key);
  }

  setMeta(key: string, value: Uint8Array): void {
    this.#assertOpen();
    this.#stable.setMeta(key, value);
  }

  deleteMeta(key: string): void {
    this.#assertOpen();
    this.#stable.deleteMeta(key);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stable.finalize();
    for (const stmt of [
      this.#begin,
      this.#commit,
      this.#rollback,
      this.#insertEntry,
      this.#selectTerm,
      this.#selectRange,
      this.#deleteFrom,
      this.#deleteThrough,
      this.#deleteAll,
      this.#upsertBoundary,
      this.#insertRecord,
      this.#selectRecords,
      this.#pruneRecords,
    ]) {
      stmt.finalize();
    }
    this.#db.close();
  }

  #replaceWithBoundary(index: number, term: number): void {
    this.#db
      .transaction(() => {
        this.#deleteAll.run();
        this.#upsertBoundary.run(index, term);
      })
      .immediate();
    this.#recent.clear();
    this.#compactedIndex = index;
    this.#compactedTerm = term;
    this.#lastIndex = index;
    this.#lastTerm = term;
  }

  #planAppend(input: readonly Entry[]): AppendPlan | undefined {
    const head = input[0];
    if (head === undefined) return undefined;
    for (let i = 0; i < input.length; i++) {
      const entry = input[i] as Entry;
      validateEntry(entry, i);
      if (entry.index !== head.index + i) {
        throw new RangeError(`entries to append are not contiguous: position ${i} has index ${entry.index}, expected ${head.index + i}`);
      }
      const prev = input[i - 1];
      if (prev !== undefined && entry.term < prev.term) {
        throw new RangeError(`entries to append have decreasing terms: index ${entry.index} has term ${entry.term} after term ${prev.term}`);
      }
    }
    const atBoundary = input.find((e) => e.index === this.#compactedIndex);
    if (atBoundary !== undefined && atBoundary.term !== this.#compactedTerm) {
      throw new RangeError(`entry ${atBoundary.index} with term ${atBoundary.term} conflicts with the compacted boundary (term ${this.#compactedTerm})`);
    }
    const entries = head.index > this.#compactedIndex ? input : input.filter((e) => e.index > this.#compactedIndex);
    const first = entries[0];
    if (first === undefined) return undefined;
    if (first.index > this.#lastIndex + 1) {
      throw new RangeError(`cannot append at index ${first.index}: the log ends at ${this.#lastIndex} (gap)`);
    }
    const prevTerm = this.#termOrThrow(first.index - 1);
    if (first.term < prevTerm) {
      throw new RangeError(`cannot append index ${first.index} with term ${first.term} after index ${first.index - 1} with higher term ${prevTerm}`);
    }
    const last = entries[entries.length - 1] as Entry;
    return {
      entries,
      truncateFrom: first.index <= this.#lastIndex ? first.index : undefined,
      lastIndex: last.index,
      lastTerm: last.term,
    };
  }

  #writeAppend(plan: AppendPlan): void {
    if (plan.truncateFrom !== undefined) this.#deleteFrom.run(plan.truncateFrom);
    for (const entry of plan.entries) {
      this.#insertEntry.run(entry.index, entry.term, entryKindCode[entry.kind], entry.data);
    }
  }

  #termOrThrow(index: number): number {
    const term = this.term(index);
    if (term === undefined) {
      throw new Error(`raft log has no term for index ${index} (log spans ${this.#compactedIndex}..${this.#lastIndex})`);
    }
    return term;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("raft log store is closed");
  }
}

function requireIndex(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

function requireTerm(term: number): void {
  requireIndex("term", term);
  if (term > maxTerm) throw new RangeError(`term ${term} is above the largest term a node stores (${maxTerm})`);
}

function validateEntry(entry: Entry, position: number): void {
  if (!Number.isSafeInteger(entry.index) || entry.index < 1) {
    throw new RangeError(`entry at position ${position} has invalid index ${entry.index}`);
  }
  if (!Number.isSafeInteger(entry.term) || entry.term < 1 || entry.term > maxTerm) {
    throw new RangeError(`entry ${entry.index} has invalid term ${entry.term} (terms run from 1 to ${maxTerm})`);
  }
  if (!Object.hasOwn(entryKindCode, entry.kind)) {
    throw new RangeError(`entry ${entry.index} has unknown kind ${String(entry.kind)}`);
  }
  if (!(entry.data instanceof Uint8Array)) {
    throw new TypeError(`entry ${entry.index} data must be a Uint8Array`);
  }
}
