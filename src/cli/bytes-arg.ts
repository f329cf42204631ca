/** CLI keys and values are text (UTF-8), or hex with --hex. */
export function bytesArg(field: string, text: string, hex: boolean): Uint8Array {
  if (!hex) return new TextEncoder().encode(text);
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error(`${field}: expected an even number of hex digits, got ${JSON.stringify(text)}`);
  return Uint8Array.from(Buffer.from(text, "hex"));
}

export function printableBytes(bytes: Uint8Array, hex: boolean): string {
  return hex ? Buffer.from(bytes).toString("hex") : new TextDecoder().decode(bytes);
}
