import { classifyRangeEnd, compareKeys } from "./key-range.ts";
import { historyTypeCode, type KvRow, type KvStatements, tombstone, toStoredKv } from "./kv-schema.ts";
import type { ChangeEvent, StoredKv } from "./kv-types.ts";

/**
 * Every write to the key space goes through here (plain commands, txns,
 * lease revokes), so each one is recorded once in the history table and in
 * the batch's change events, in apply order.
 *
 * Cost on the hot path: a put is one upsert (RETURNING the new version and
 * create index, which the event needs) plus one history insert appended at
 * the end of the history b-tree. A put's previous value is looked up only
 * when asked (prev_kv); Watch gets it later via previousRevision, which
 * follows the prev_mod_index the upsert returns for free. Deletes
 * always read the deleted rows (DELETE ... RETURNING), so their events carry
 * prev at no extra statement.
 */
export class KeySpaceWriter {
  readonly #stmt: KvStatements;
  readonly #recordHistory: boolean;
  #events: ChangeEvent[] = [];
  #index = 0;
  #position = 0;

  constructor(stmt: KvStatements, recordHistory: boolean) {
    this.#stmt = stmt;
    this.#recordHistory = recordHistory;
  }

  /** Writes that follow belong to the entry at `index`. */
  beginEntry(index: number): void {
    this.#index = index;
    this.#position = 0;
  }

  /** How many events are buffered: pass it to dropEventsFrom when the entry's writes are rolled back. */
  eventCount(): number {
    return this.#events.length;
  }

  dropEventsFrom(count: number): void {
    this.#events.length = count;
    this.#position = 0;
  }

  /** The events since the last call, in apply order. */
  takeEvents(): ChangeEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }

  /** Returns the previous state when wantPrev (undefined if the key was absent). */
  put(key: Uint8Array, value: Uint8Array, lease: bigint, wantPrev: boolean): StoredKv | undefined {
    const prevRow = wantPrev ? (this.#stmt.get.get(key) as KvRow | null) : null;
    const row = this.#stmt.upsert.get(key, value, this.#index, this.#index, lease) as {
      create_index: number;
      version: number;
      prev_mod_index: number;
    } | null;
    if (row === null) throw new Error(`entry ${this.#index}: the upsert of a key returned no row`);
    const kv: StoredKv = {
      key,
      value,
      createIndex: row.create_index,
      modIndex: this.#index,
      version: row.version,
      lease: Number(lease),
    };
    const prev = prevRow === null ? undefined : toStoredKv(prevRow);
    // A key created again after a delete still has prev_mod_index 0: the insert path of the upsert ran.
    this.#record(prev === undefined ? { type: "put", kv } : { type: "put", kv, prev }, row.prev_mod_index);
    return prev;
  }

  /**
   * Deletes `key`, or [key, rangeEnd) with etcd's range_end conventions (see
   * classifyRangeEnd). Returns the deleted keys, sorted.
   */
  delete(key: Uint8Array, rangeEnd: Uint8Array): StoredKv[] {
    const bound = classifyRangeEnd(rangeEnd);
    switch (bound.kind) {
      case "single": {
        const row = this.#stmt.deleteOneReturning.get(key) as KvRow | null;
        return this.#recordDeletes(row === null ? [] : [row]);
      }
      case "before":
        if (compareKeys(key, bound.end) >= 0) return [];
        return this.#recordDeletes(this.#stmt.deleteBeforeReturning.all(key, bound.end) as KvRow[]);
      case "unbounded":
        return this.#recordDeletes(this.#stmt.deleteFromReturning.all(key) as KvRow[]);
      default:
        return assertNever(bound);
    }
  }

  /** Deletes every key attached to the lease; returns them sorted. */
  deleteLeaseKeys(leaseId: bigint): StoredKv[] {
    return this.#recordDeletes(this.#stmt.deleteLeaseKeysReturning.all(leaseId) as KvRow[]);
  }

  #recordDeletes(rows: KvRow[]): StoredKv[] {
    // RETURNING yields rows in no promised order; events go in key order.
    const prevs = rows.map(toStoredKv).sort((a, b) => compareKeys(a.key, b.key));
    for (const prev of prevs) this.#record({ type: "delete", kv: tombstone(prev.key, this.#index), prev }, prev.modIndex);
    return prevs;
  }

  #record(event: ChangeEvent, prevModIndex: number): void {
    if (this.#recordHistory) {
      const kv = event.kv;
      this.#stmt.insertHistory.run(
        this.#index,
        this.#position,
        kv.key,
        historyTypeCode[event.type],
        kv.value,
        kv.createIndex,
        kv.version,
        kv.lease,
        prevModIndex,
      );
    }
    this.#position++;
    this.#events.push(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
