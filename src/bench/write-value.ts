const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FILL = ".".charCodeAt(0);
const SEPARATOR = "|";

/**
 * Values carry the sequence number of the write that produced them
 * (base 36, then "|", then filler up to the requested size), so that after
 * a run the harness can tell which acknowledged write a stored value came
 * from. 16 bytes hold sequence numbers up to 36^15.
 */
export function writeValue(sequence: number, size: number): Uint8Array {
  const head = encoder.encode(sequence.toString(36) + SEPARATOR);
  if (head.length > size) {
    throw new Error(`value size ${size} B is too small to carry write sequence ${sequence}`);
  }
  const value = new Uint8Array(size);
  value.fill(FILL);
  value.set(head, 0);
  return value;
}

/** The write sequence a stored value carries, or undefined when it carries none. */
export function sequenceOf(value: Uint8Array): number | undefined {
  const head = decoder.decode(value.subarray(0, 16));
  const cut = head.indexOf(SEPARATOR);
  if (cut <= 0) return undefined;
  const sequence = Number.parseInt(head.slice(0, cut), 36);
  return Number.isSafeInteger(sequence) ? sequence : undefined;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}
