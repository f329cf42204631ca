import { classifyRangeEnd, compareKeys, type KeyBound } from "./key-range.ts";
import { type HistoryRow, historyTypeCode, type KvStatements, toChangeEvent } from "./kv-schema.ts";
import type { HistoryPage, StoredKv } from "./kv-types.ts";

/** A key interval with RangeQuery's end conventions (see KvStateMachine.historySince). */
export interface HistoryInterval {
  readonly start: Uint8Array;
  readonly end?: Uint8Array;
}

/** The oldest index from which the history table replays every change. */
export function readCompactIndex(stmt: KvStatements): number {
  const row = stmt.selectCompactIndex.get() as { compact_index: number } | null;
  if (row === null) throw new Error("the state machine database has no history state");
  return row.compact_index;
}

/**
 * Changes with index >= fromIndex in the interval, in (index, position)
 * order. A page never ends inside an index: when `limit` falls in the middle
 * of one, the rest of that index is included (so the page may exceed the
 * limit), and the caller can always continue from the last event's index + 1
 * without missing or repeating anything.
 */
export function readHistory(stmt: KvStatements, fromIndex: number, interval: HistoryInterval, limit: number): HistoryPage {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`history limit must be a non-negative integer, got ${limit}`);
  }
  const compactIndex = readCompactIndex(stmt);
  // Index 0 holds no entry: replaying from it is replaying from 1.
  const from = Math.max(fromIndex, 1);
  if (from < compactIndex) return { kind: "compacted", compactIndex };
  const bound = classifyRangeEnd(interval.end);
  const rows = selectHistory(stmt, from, interval.start, bound, limit === 0 ? -1 : limit + 1);
  if (limit === 0 || rows.length <= limit) return { kind: "events", events: rows.map(toChangeEvent), more: false };
  const page = rows.slice(0, limit);
  const last = page[limit - 1] as HistoryRow;
  const next = rows[limit] as HistoryRow;
  if (next.idx !== last.idx) return { kind: "events", events: page.map(toChangeEvent), more: true };
  const rest = stmt.historyRestOfIndex.all(last.idx, last.pos) as HistoryRow[];
  for (const row of rest) if (inInterval(row.key, interval.start, bound)) page.push(row);
  const more = selectHistory(stmt, last.idx + 1, interval.start, bound, 1).length > 0;
  return { kind: "events", events: page.map(toChangeEvent), more };
}

/**
 * The key's state just before its (first) change at `beforeIndex`, followed
 * through that change's prev_mod_index to the version it replaced. undefined
 * when the key did not exist then, when it has no change at `beforeIndex`, or
 * when either record is older than the compaction.
 */
export function readPreviousRevision(stmt: KvStatements, key: Uint8Array, beforeIndex: number): StoredKv | undefined {
  const change = stmt.firstChangeOfKeyAt.get(beforeIndex, key) as HistoryRow | null;
  if (change === null || change.prev_mod_index === 0) return undefined;
  // The previous version's own put: the key's last change at its mod index.
  const prev = stmt.lastChangeOfKeyAt.get(change.prev_mod_index, key) as HistoryRow | null;
  if (prev === null || prev.type === historyTypeCode.delete) return undefined;
  return toChangeEvent(prev).kv;
}

function selectHistory(stmt: KvStatements, from: number, start: Uint8Array, bound: KeyBound, sqlLimit: number): HistoryRow[] {
  switch (bound.kind) {
    case "single":
      return stmt.historyOfKey.all(from, start, sqlLimit) as HistoryRow[];
    case "before":
      if (compareKeys(start, bound.end) >= 0) return [];
      return stmt.historyBefore.all(from, start, bound.end, sqlLimit) as HistoryRow[];
    case "unbounded":
      return stmt.historyFrom.all(from, start, sqlLimit) as HistoryRow[];
    default:
      return assertNever(bound);
  }
}

function inInterval(key: Uint8Array, start: Uint8Array, bound: KeyBound): boolean {
  switch (bound.kind) {
    case "single":
      return compareKeys(key, start) === 0;
    case "before":
      return compareKeys(key, start) >= 0 && compareKeys(key, bound.end) < 0;
    case "unbounded":
      return compareKeys(key, start) >= 0;
    default:
      return assertNever(bound);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
