import type { Database, Statement } from "bun:sqlite";
import { emptyHardState, type HardState } from "../raft/hard-state.ts";
import { maxTerm } from "../raft/term-limit.ts";

/**
 * Durable Raft state that is not log entries: the hard state (term, vote,
 * commit) and a small key/value table for other metadata (cluster id,
 * membership, ...). It lives in the same SQLite file and connection as the log
 * so that `RaftLogStore.persist` can write entries and hard state in one
 * transaction (one fsync). The connection's durability settings are the log
 * store's (WAL, synchronous=FULL).
 */
export class StableStore {
  readonly #selectHardState: Statement;
  readonly #upsertHardState: Statement;
  readonly #selectMeta: Statement;
  readonly #upsertMeta: Statement;
  readonly #deleteMeta: Statement;
  #hardState: HardState;

  constructor(db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS hard_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      term INTEGER NOT NULL,
      vote TEXT NOT NULL,
      commit_index INTEGER NOT NULL
    )`);
    db.exec(`CREATE TABLE IF NOT EXISTS meta (
      key TEXT PRIMARY KEY,
      value BLOB NOT NULL
    ) WITHOUT ROWID`);
    this.#selectHardState = db.prepare("SELECT term, vote, commit_index FROM hard_state WHERE id = 1");
    this.#upsertHardState = db.prepare(
      `INSERT INTO hard_state (id, term, vote, commit_index) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index`,
    );
    this.#selectMeta = db.prepare("SELECT value FROM meta WHERE key = ?");
    this.#upsertMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    this.#deleteMeta = db.prepare("DELETE FROM meta WHERE key = ?");
    const row = this.#selectHardState.get() as { term: number; vote: string; commit_index: number } | null;
    this.#hardState = row === null ? emptyHardState : { term: row.term, vote: row.vote, commit: row.commit_index };
  }

  hardState(): HardState {
    return this.#hardState;
  }

  /** Durable when it returns (a single statement is its own transaction). */
  setHardState(hs: HardState): void {
    this.writeHardState(hs);
    this.rememberHardState(hs);
  }

  getMeta(key: string): Uint8Array | undefined {
    const row = this.#selectMeta.get(key) as { value: Uint8Array } | null;
    return row === null ? undefined : row.value;
  }

  setMeta(key: string, value: Uint8Array): void {
    validateMetaKey(key);
    this.#upsertMeta.run(key, value);
  }

  deleteMeta(key: string): void {
    this.#deleteMeta.run(key);
  }

  /**
   * Checks `hs` against the current hard state and writes it without
   * touching the in-memory copy; for use inside a caller's transaction, which
   * calls `rememberHardState` once the transaction has committed.
   */
  writeHardState(hs: HardState): void {
    validateHardState(hs, this.#hardState);
    this.#upsertHardState.run(hs.term, hs.vote, hs.commit);
  }

  rememberHardState(hs: HardState): void {
    this.#hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
  }

  finalize(): void {
    for (const stmt of [this.#selectHardState, this.#upsertHardState, this.#selectMeta, this.#upsertMeta, this.#deleteMeta]) {
      stmt.finalize();
    }
  }
}

function validateHardState(hs: HardState, current: HardState): void {
  if (!Number.isSafeInteger(hs.term) || hs.term < 0) {
    throw new RangeError(`hard state term must be a non-negative integer, got ${hs.term}`);
  }
  // A stored term nobody can go past (term + 1) would keep the node from ever campaigning, across restarts.
  if (hs.term > maxTerm) {
    throw new RangeError(`hard state term ${hs.term} is above the largest term a node stores (${maxTerm})`);
  }
  if (!Number.isSafeInteger(hs.commit) || hs.commit < 0) {
    throw new RangeError(`hard state commit must be a non-negative integer, got ${hs.commit}`);
  }
  if (typeof hs.vote !== "string") {
    throw new TypeError(`hard state vote must be a string, got ${typeof hs.vote}`);
  }
  // A term that goes backwards would let this node vote twice in one term.
  if (hs.term < current.term) {
    throw new RangeError(`hard state term must not decrease: stored ${current.term}, new ${hs.term}`);
  }
}

export function validateMetaKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new TypeError("meta key must be a non-empty string");
  }
}
