/**
 * Percent-decodes a URL path segment to bytes. Keys are bytes, so an escape
 * such as %FF that is not valid UTF-8 must survive (decodeURIComponent would
 * throw on it). Returns undefined for a malformed escape.
 */
export function percentDecodeToBytes(text: string): Uint8Array | undefined {
  const raw = new TextEncoder().encode(text);
  const out = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (c !== 0x25 /* % */) {
      out[n++] = c;
      continue;
    }
    const hi = hexValue(raw[i + 1]);
    const lo = hexValue(raw[i + 2]);
    if (hi === undefined || lo === undefined) return undefined;
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  return out.slice(0, n);
}

function hexValue(c: number | undefined): number | undefined {
  if (c === undefined) return undefined;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return undefined;
}
