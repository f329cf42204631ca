import { classifyRangeEnd, compareKeys } from "./key-range.ts";
import { toStoredKv, type KvRow, type KvStatements } from "./kv-schema.ts";
import type { RangeQuery, RangeResult } from "./kv-types.ts";

/** Keys in memcmp order, at most `limit` of them read from SQLite (LIMIT), so memory stays bounded. */
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
      const page = (q.keysOnly ? stmt.keysBefore : stmt.rangeBefore).all(q.start, bound.end, sqlLimit(q.limit)) as KvRow[];
      return pageResult(page, q.limit, count);
    }
    case "unbounded": {
      const count = () => (stmt.countFrom.get(q.start) as { n: number }).n;
      if (q.countOnly) return { kvs: [], more: false, count: count() };
      const page = (q.keysOnly ? stmt.keysFrom : stmt.rangeFrom).all(q.start, sqlLimit(q.limit)) as KvRow[];
      return pageResult(page, q.limit, count);
    }
    default:
      return assertNever(bound);
  }
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

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
