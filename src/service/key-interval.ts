import { prefixEnd } from "../fsm/key-range.ts";

/** A half-open key interval [start, end); end undefined = unbounded. */
export interface KeyInterval {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * The interval a Range selects: the prefix's interval narrowed by start/end.
 * Empty start/end mean "no bound"; start is how a client continues a page.
 */
export function rangeInterval(prefix: Uint8Array, start: Uint8Array, end: Uint8Array): KeyInterval {
  let lower = prefix;
  let upper: Uint8Array | undefined = prefix.length > 0 ? prefixEnd(prefix) : undefined;
  if (start.length > 0 && compareBytes(start, lower) > 0) lower = start;
  if (end.length > 0 && (upper === undefined || compareBytes(end, upper) < 0)) upper = end;
  return { start: lower, end: upper };
}

export function isEmptyInterval(interval: KeyInterval): boolean {
  return interval.end !== undefined && compareBytes(interval.start, interval.end) >= 0;
}
