import { classifyRangeEnd, compareKeys } from "./key-range.ts";
import { type KvRow, type KvStatements, toStoredKv } from "./kv-schema.ts";
import type { RangeQuery, RangeResult, StoredKv } from "./kv-types.ts";

/**
 * Keys in memcmp order, at most `limit` of them read from SQLite (LIMIT),
 * and rows are read one at a time only until `maxBytes` of keys and values
 * is reached (the page then ends early, `more` and `nextKey` set), so memory
 * stays bounded by both. A page holds at least one key when any matches.
 */
export function readRange(stmt: KvStatements, q: RangeQuery): RangeResult {
  const bound = classifyRangeEnd(q.end);
  if (!Number.isSafeInteger(q.limit) || q.limit < 0) {
    throw new RangeError(`range limit must be a non-negative integer, got ${q.limit}`);
  }
  switch (bound.kind) {
    case "single": {
      const row = (q.keysOnly ? stmt.getKeyOnly : stmt.get).get(q.start) as KvRow | null;
      const kvs = row === null || q.countOnly ? [] : [toStoredKv(row)];
      return { kvs, more: false, count: row === null ? 0 : 1 };
    }
    case "before": {
      if (compareKeys(q.start, bound.end) >= 0) return { kvs: [], more: false, count: 0 };
      const count = () => (stmt.countBefore.get(q.start, bound.end) as { n: number }).n;
      if (q.countOnly) return { kvs: [], more: false, count: count() };
      const rows = (q.keysOnly ? stmt.keysBefore : stmt.rangeBefore).iterate(q.start, bound.end, sqlLimit(q.limit)) as IterableIterator<KvRow>;
      return pageOf(rows, q.limit, q.maxBytes ?? Number.POSITIVE_INFINITY, count);
    }
    case "unbounded": {
      const count = () => (stmt.countFrom.get(q.start) as { n: number }).n;
      if (q.countOnly) return { kvs: [], more: false, count: count() };
      const rows = (q.keysOnly ? stmt.keysFrom : stmt.rangeFrom).iterate(q.start, sqlLimit(q.limit)) as IterableIterator<KvRow>;
      return pageOf(rows, q.limit, q.maxBytes ?? Number.POSITIVE_INFINITY, count);
    }
    default:
      return assertNever(bound);
  }
}

function sqlLimit(limit: number): number {
  // One extra row tells whether there is more; -1 is SQLite's "no limit".
  return limit === 0 ? -1 : limit + 1;
}

/** Reading stops at the first row past the page (by count or by bytes): it becomes nextKey, and SQLite reads no further. */
function pageOf(rows: IterableIterator<KvRow>, limit: number, maxBytes: number, count: () => number): RangeResult {
  const kvs: StoredKv[] = [];
  let bytes = 0;
  let nextKey: Uint8Array | undefined;
  for (const row of rows) {
    const size = row.key.length + (row.value?.length ?? 0);
    if ((limit !== 0 && kvs.length === limit) || (kvs.length > 0 && bytes + size > maxBytes)) {
      nextKey = row.key;
      break;
    }
    bytes += size;
    kvs.push(toStoredKv(row));
  }
  return nextKey === undefined ? { kvs, more: false, count: kvs.length } : { kvs, more: true, count: count(), nextKey };
}

/** Bytes of keys and values a page holds (what maxBytes bounds). */
export function pageBytes(kvs: readonly StoredKv[]): number {
  let bytes = 0;
  for (const kv of kvs) bytes += kv.key.length + kv.value.length;
  return bytes;
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
