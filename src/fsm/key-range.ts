/**
 * Byte-key range helpers with etcd's conventions. SQLite orders BLOBs with
 * memcmp (then by length), the same order as `compareKeys`.
 */

/**
 * The exclusive end of the range holding every key that starts with
 * `prefix`: the prefix with its last byte below 0xff incremented and the bytes
 * after it dropped. undefined when no such end exists (the prefix is empty or
 * all 0xff): the range is then unbounded above.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i] as number;
    if (byte < 0xff) {
      // A copy, never a view: Buffer.prototype.slice shares memory, and the
      // prefix may be a Buffer view into the request.
      const end = new Uint8Array(prefix.subarray(0, i + 1));
      end[i] = byte + 1;
      return end;
    }
  }
  return undefined;
}

export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** A range end as the SQL layer sees it. */
export type KeyBound = { readonly kind: "single" } | { readonly kind: "unbounded" } | { readonly kind: "before"; readonly end: Uint8Array };

/**
 * etcd's range_end conventions: none or "\0" = every key >= start; empty =
 * just `start`; anything else = [start, end).
 */
export function classifyRangeEnd(end: Uint8Array | undefined): KeyBound {
  if (end === undefined) return { kind: "unbounded" };
  if (end.length === 0) return { kind: "single" };
  if (end.length === 1 && end[0] === 0) return { kind: "unbounded" };
  return { kind: "before", end };
}
