import { compareKeys, prefixEnd } from "../fsm/key-range.ts";

/** A half-open key interval [start, end); end undefined = unbounded. */
export interface KeyInterval {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

/**
 * The interval a Range selects: the prefix's interval narrowed by start/end.
 * Empty start/end mean "no bound"; start is how a client continues a page.
 */
export function rangeInterval(prefix: Uint8Array, start: Uint8Array, end: Uint8Array): KeyInterval {
  let lower = prefix;
  let upper: Uint8Array | undefined = prefix.length > 0 ? prefixEnd(prefix) : undefined;
  if (start.length > 0 && compareKeys(start, lower) > 0) lower = start;
  if (end.length > 0 && (upper === undefined || compareKeys(end, upper) < 0)) upper = end;
  return { start: lower, end: upper };
}

/**
 * True when nothing can match. Checked here, not left to the state machine:
 * there an end of a single 0x00 byte means "unbounded" (etcd's convention),
 * while in this API it is an upper bound like any other.
 */
export function isEmptyInterval(interval: KeyInterval): boolean {
  return interval.end !== undefined && compareKeys(interval.start, interval.end) >= 0;
}
