import type { Database, Statement } from "bun:sqlite";
import type { ChangeEvent, LeaseRecord, QuotaAlarm, StoredKv } from "./kv-types.ts";

/** The SQLite tables of the state machine and every statement run on them. */

export interface KvRow {
  key: Uint8Array;
  value: Uint8Array;
  create_index: number;
  mod_index: number;
  version: number;
  lease: number | bigint;
}

/** One recorded change; a delete keeps value empty and create_index/version/lease 0. */
export interface HistoryRow {
  idx: number;
  pos: number;
  key: Uint8Array;
  type: number;
  value: Uint8Array;
  create_index: number;
  version: number;
  lease: number | bigint;
  prev_mod_index: number;
}

export interface LeaseRow {
  id: number;
  ttl_ms: number;
  grant_index: number;
}

/** Stable codes for history.type; never renumber (they are in snapshots). */
export const historyTypeCode = { put: 1, delete: 2 } as const;

const kvColumns = "key, value, create_index, mod_index, version, lease";
const keyColumns = "key, X'' AS value, create_index, mod_index, version, lease";
const historyColumns = "idx, pos, key, type, value, create_index, version, lease, prev_mod_index";

export const schema = [
  // A rowid table (not WITHOUT ROWID): values are often hundreds of bytes, and
  // SQLite's WITHOUT ROWID tables suit rows under ~1/20 of a page. Measured
  // here: 100 random 256 B puts apply in ~1.1 ms against ~2.0 ms.
  `CREATE TABLE IF NOT EXISTS kv (
    key BLOB PRIMARY KEY,
    value BLOB NOT NULL,
    create_index INTEGER NOT NULL,
    mod_index INTEGER NOT NULL,
    version INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    prev_mod_index INTEGER NOT NULL DEFAULT 0
  )`,
  // Partial: the keys without a lease (nearly all) cost nothing to index.
  "CREATE INDEX IF NOT EXISTS kv_by_lease ON kv (lease) WHERE lease != 0",
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
  `CREATE TABLE IF NOT EXISTS lease (
    id INTEGER PRIMARY KEY,
    ttl_ms INTEGER NOT NULL,
    grant_index INTEGER NOT NULL
  )`,
  // Every change in apply order. WITHOUT ROWID with (idx, pos) as the key:
  // rows are appended at the end of that b-tree, so the insert is cheap, and a
  // replay from an index is one range scan. There is deliberately no index by
  // key (it cost ~40% of apply throughput): prev_mod_index, the mod index of
  // the key's previous version (0: it did not exist), links each change to
  // the one before it, so previousRevision is two primary-key lookups.
  `CREATE TABLE IF NOT EXISTS history (
    idx INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    key BLOB NOT NULL,
    type INTEGER NOT NULL,
    value BLOB NOT NULL,
    create_index INTEGER NOT NULL,
    version INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    prev_mod_index INTEGER NOT NULL,
    PRIMARY KEY (idx, pos)
  ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS history_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    compact_index INTEGER NOT NULL
  )`,
  // The replicated quota alarm (one row once ever raised); see AlarmCommand.
  `CREATE TABLE IF NOT EXISTS quota_alarm (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    active INTEGER NOT NULL,
    used_bytes INTEGER NOT NULL,
    quota_bytes INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    decided_index INTEGER NOT NULL
  )`,
  // History starts after what is already applied: 1 on a fresh store, later
  // on a store (or snapshot) written before the history table existed.
  `INSERT OR IGNORE INTO history_state (id, compact_index)
     SELECT 1, applied_index + 1 FROM fsm_state WHERE id = 1`,
];

export interface ConfigRow {
  config_index: number;
  config_term: number;
  config_data: Uint8Array;
}

export const selectConfigSql = "SELECT config_index, config_term, config_data FROM fsm_config WHERE id = 1";

/** Every statement the state machine runs, prepared once per connection. */
/**
 * Brings a file written by an older version up to this schema (a restored
 * snapshot may be one). CREATE ... IF NOT EXISTS covers new tables; this
 * covers new columns.
 */
export function migrateSchema(db: Database): void {
  const kvColumnNames = (db.query("PRAGMA table_info(kv)").all() as { name: string }[]).map((c) => c.name);
  if (!kvColumnNames.includes("prev_mod_index")) {
    db.exec("ALTER TABLE kv ADD COLUMN prev_mod_index INTEGER NOT NULL DEFAULT 0");
  }
}

export function prepareStatements(db: Database) {
  return {
    // In DO UPDATE, kv.mod_index is still the old value: RETURNING then hands
    // back the previous version's mod index without a separate read.
    upsert: db.prepare(
      `INSERT INTO kv (key, value, create_index, mod_index, version, lease, prev_mod_index) VALUES (?, ?, ?, ?, 1, ?, 0)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, prev_mod_index = kv.mod_index,
         mod_index = excluded.mod_index, version = kv.version + 1, lease = excluded.lease
       RETURNING create_index, version, prev_mod_index`,
    ),
    get: db.prepare(`SELECT ${kvColumns} FROM kv WHERE key = ?`),
    getKeyOnly: db.prepare(`SELECT ${keyColumns} FROM kv WHERE key = ?`),
    deleteOneReturning: db.prepare(`DELETE FROM kv WHERE key = ? RETURNING ${kvColumns}`),
    deleteBeforeReturning: db.prepare(`DELETE FROM kv WHERE key >= ? AND key < ? RETURNING ${kvColumns}`),
    deleteFromReturning: db.prepare(`DELETE FROM kv WHERE key >= ? RETURNING ${kvColumns}`),
    rangeBefore: db.prepare(`SELECT ${kvColumns} FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`),
    rangeFrom: db.prepare(`SELECT ${kvColumns} FROM kv WHERE key >= ? ORDER BY key LIMIT ?`),
    keysBefore: db.prepare(`SELECT ${keyColumns} FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`),
    keysFrom: db.prepare(`SELECT ${keyColumns} FROM kv WHERE key >= ? ORDER BY key LIMIT ?`),
    countBefore: db.prepare("SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ?"),
    countFrom: db.prepare("SELECT count(*) AS n FROM kv WHERE key >= ?"),
    all: db.prepare(`SELECT ${kvColumns} FROM kv ORDER BY key`),
    // `lease != 0` lets the planner use the partial index kv_by_lease.
    keysOfLease: db.prepare("SELECT key FROM kv WHERE lease = ? AND lease != 0 ORDER BY key"),
    deleteLeaseKeysReturning: db.prepare(`DELETE FROM kv WHERE lease = ? AND lease != 0 RETURNING ${kvColumns}`),
    selectLease: db.prepare("SELECT id, ttl_ms, grant_index FROM lease WHERE id = ?"),
    allLeases: db.prepare("SELECT id, ttl_ms, grant_index FROM lease ORDER BY id"),
    countLeases: db.prepare("SELECT COUNT(*) AS n FROM lease"),
    insertLease: db.prepare("INSERT INTO lease (id, ttl_ms, grant_index) VALUES (?, ?, ?)"),
    deleteLease: db.prepare("DELETE FROM lease WHERE id = ?"),
    insertHistory: db.prepare(`INSERT INTO history (${historyColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    historyOfKey: db.prepare(`SELECT ${historyColumns} FROM history WHERE idx >= ? AND key = ? ORDER BY idx, pos LIMIT ?`),
    historyBefore: db.prepare(`SELECT ${historyColumns} FROM history WHERE idx >= ? AND key >= ? AND key < ? ORDER BY idx, pos LIMIT ?`),
    historyFrom: db.prepare(`SELECT ${historyColumns} FROM history WHERE idx >= ? AND key >= ? ORDER BY idx, pos LIMIT ?`),
    /** The rest of one index after position pos, whatever the interval (filtered by the caller). */
    historyRestOfIndex: db.prepare(`SELECT ${historyColumns} FROM history WHERE idx = ? AND pos > ? ORDER BY pos`),
    firstChangeOfKeyAt: db.prepare(`SELECT ${historyColumns} FROM history WHERE idx = ? AND key = ? ORDER BY pos LIMIT 1`),
    lastChangeOfKeyAt: db.prepare(`SELECT ${historyColumns} FROM history WHERE idx = ? AND key = ? ORDER BY pos DESC LIMIT 1`),
    allHistory: db.prepare(`SELECT ${historyColumns} FROM history ORDER BY idx, pos`),
    deleteHistoryBefore: db.prepare("DELETE FROM history WHERE idx < ?"),
    selectCompactIndex: db.prepare("SELECT compact_index FROM history_state WHERE id = 1"),
    updateCompactIndex: db.prepare("UPDATE history_state SET compact_index = ? WHERE id = 1"),
    selectApplied: db.prepare("SELECT applied_index, applied_term FROM fsm_state WHERE id = 1"),
    updateApplied: db.prepare("UPDATE fsm_state SET applied_index = ?, applied_term = ? WHERE id = 1"),
    selectConfig: db.prepare(selectConfigSql),
    selectAlarm: db.prepare("SELECT active, used_bytes, quota_bytes, member_id, decided_index FROM quota_alarm WHERE id = 1"),
    upsertAlarm: db.prepare(
      `INSERT INTO quota_alarm (id, active, used_bytes, quota_bytes, member_id, decided_index) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET active = excluded.active, used_bytes = excluded.used_bytes,
         quota_bytes = excluded.quota_bytes, member_id = excluded.member_id, decided_index = excluded.decided_index`,
    ),
    countKeys: db.prepare("SELECT count(*) AS n FROM kv"),
    upsertConfig: db.prepare(
      `INSERT INTO fsm_config (id, config_index, config_term, config_data) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET config_index = excluded.config_index, config_term = excluded.config_term,
         config_data = excluded.config_data`,
    ),
  } satisfies Record<string, Statement>;
}

export type KvStatements = ReturnType<typeof prepareStatements>;

export function toStoredKv(row: KvRow): StoredKv {
  return {
    key: row.key,
    value: row.value,
    createIndex: row.create_index,
    modIndex: row.mod_index,
    version: row.version,
    lease: Number(row.lease),
  };
}

export interface AlarmRow {
  active: number;
  used_bytes: number;
  quota_bytes: number;
  member_id: string;
  decided_index: number;
}

export function toQuotaAlarm(row: AlarmRow | null): QuotaAlarm {
  if (row === null) return { active: false, usedBytes: 0, quotaBytes: 0, memberId: "", index: 0 };
  return { active: row.active !== 0, usedBytes: row.used_bytes, quotaBytes: row.quota_bytes, memberId: row.member_id, index: row.decided_index };
}

export function toLeaseRecord(row: LeaseRow): LeaseRecord {
  return { id: row.id, ttlMs: row.ttl_ms, grantIndex: row.grant_index };
}

export function toChangeEvent(row: HistoryRow): ChangeEvent {
  if (row.type === historyTypeCode.delete) return { type: "delete", kv: tombstone(row.key, row.idx) };
  return {
    type: "put",
    kv: {
      key: row.key,
      value: row.value,
      createIndex: row.create_index,
      modIndex: row.idx,
      version: row.version,
      lease: Number(row.lease),
    },
  };
}

/** How a delete appears in Watch and history (see ChangeEvent). */
export function tombstone(key: Uint8Array, index: number): StoredKv {
  return { key, value: new Uint8Array(), createIndex: 0, modIndex: index, version: 0, lease: 0 };
}
