import { utf8OrUndefined } from "./key-text.ts";

/** How a value is shown: as text, as pretty-printed JSON, or as a hex dump (binary). */
export type ValueView = "text" | "json" | "hex";

/** The view a value opens in: JSON when it parses as an object or array, text when UTF-8, else hex. */
export function defaultView(value: Uint8Array): ValueView {
  const text = utf8OrUndefined(value);
  if (text === undefined) return "hex";
  return parsesAsJsonDocument(text) ? "json" : "text";
}

/** The value rendered in a view, or why it cannot be (not UTF-8, not JSON). */
export function renderValue(value: Uint8Array, view: ValueView): { readonly text: string } | { readonly problem: string } {
  switch (view) {
    case "hex":
      return { text: hexDump(value) };
    case "text": {
      const text = utf8OrUndefined(value);
      return text === undefined ? { problem: "not valid UTF-8: shown as hex" } : { text };
    }
    case "json": {
      const text = utf8OrUndefined(value);
      if (text === undefined) return { problem: "not valid UTF-8, so not JSON" };
      try {
        return { text: JSON.stringify(JSON.parse(text), null, 2) };
      } catch (error) {
        return { problem: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    default: {
      const unreachable: never = view;
      throw new Error(`unknown view ${String(unreachable)}`);
    }
  }
}

/** `00000000  48 65 6c 6c 6f  |Hello|`, 16 bytes a line, as hexdump -C. */
export function hexDump(value: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < value.length; offset += 16) {
    const row = value.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0"));
    const left = hex.slice(0, 8).join(" ");
    const right = hex.slice(8).join(" ");
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`);
  }
  return lines.length === 0 ? "(empty)" : lines.join("\n");
}

function parsesAsJsonDocument(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}
