import { compareKeys, prefixEnd } from "../fsm/key-range.ts";
import type { KeyGrant } from "./permission.ts";

/** A half-open key interval [start, end); end undefined = unbounded above. */
export interface KeySpan {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

/**
 * What one identity may do with keys, from the grants of all its roles:
 * the prefixes merged into sorted, disjoint spans per level (etcd merges
 * permitted ranges the same way), so a request is allowed when one span
 * holds the whole interval it touches, even if several grants make up that span.
 */
export class KeyPermissions {
  private constructor(
    private readonly readSpans: readonly KeySpan[],
    private readonly writeSpans: readonly KeySpan[],
    /** An admin grant (always on the whole key space): the cluster operations too. */
    readonly admin: boolean,
  ) {}

  static readonly none = new KeyPermissions([], [], false);

  static of(grants: readonly KeyGrant[]): KeyPermissions {
    const read = grants.map(spanOf);
    const write = grants.filter((g) => g.permission !== "read").map(spanOf);
    return new KeyPermissions(
      merge(read),
      merge(write),
      grants.some((g) => g.permission === "admin"),
    );
  }

  /** True when `level` is granted on every key of `interval`. */
  allows(level: "read" | "write", interval: KeySpan): boolean {
    const spans = level === "read" ? this.readSpans : this.writeSpans;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i] as KeySpan;
      // Buffer.compare is memcmp; a JS byte loop over request keys (Buffer views) was the larger part of a check.
      if (Buffer.compare(span.start, interval.start) > 0) return false;
      if (span.end === undefined) return true;
      if (interval.end !== undefined && Buffer.compare(interval.end, span.end) <= 0) return true;
      // interval.start may still lie in a later span only if this one ends before it; spans are disjoint and sorted.
    }
    return false;
  }

  /** The spans of a level, for messages. */
  spans(level: "read" | "write"): readonly KeySpan[] {
    return level === "read" ? this.readSpans : this.writeSpans;
  }
}

/** The interval of one key: [key, key + 0x00). */
export function singleKey(key: Uint8Array): KeySpan {
  const end = new Uint8Array(key.length + 1);
  end.set(key);
  return { start: key, end };
}

function spanOf(grant: KeyGrant): KeySpan {
  return { start: grant.prefix, end: grant.prefix.length === 0 ? undefined : prefixEnd(grant.prefix) };
}

function merge(spans: readonly KeySpan[]): KeySpan[] {
  const sorted = [...spans].sort((a, b) => compareKeys(a.start, b.start));
  const merged: KeySpan[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.end === undefined || compareKeys(span.start, last.end) <= 0)) {
      const end = last.end === undefined || span.end === undefined ? undefined : compareKeys(span.end, last.end) > 0 ? span.end : last.end;
      merged[merged.length - 1] = { start: last.start, end };
    } else {
      merged.push(span);
    }
  }
  return merged;
}
