const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The text of bytes that are valid UTF-8; undefined for anything else (binary). */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A key as the console shows it: its text when it is UTF-8 without control
 * characters, else with each such byte as `\xNN` (keys are bytes; the
 * console keeps the bytes for every call and only shows this).
 */
export function keyLabel(key: Uint8Array): string {
  const text = utf8OrUndefined(key);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for
  if (text !== undefined && !/[\u0000-\u001f\u007f]/.test(text)) return text;
  return [...key].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
}

export function textBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
