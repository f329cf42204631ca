/** Keys and values: bytes, or text taken as UTF-8. */
export type Bytes = Uint8Array | string;

const encoder = new TextEncoder();

export function toBytes(value: Bytes): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** The first key after every key starting with prefix ([prefix, end) = the prefix); empty = no end. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] ?? 0;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array(0);
}
