import type { ArgsDef } from "citty";
import { envName, flagValue } from "./flag-value.ts";

/** etcdctl's -w formats: a table for people, JSON for programs, simple (one value per line) for shell pipelines. */
export type OutputFormat = "table" | "json" | "simple";

/** The -w / --write-out flag every client command takes. */
export const writeOutArgs = {
  "write-out": {
    type: "string",
    alias: "w",
    description: `Output format: simple (default), table or json; env ${envName("write-out")}`,
  },
} as const satisfies ArgsDef;

export function outputFormatOf(args: { "write-out"?: string }, fallback: OutputFormat = "simple"): OutputFormat {
  const text = flagValue(args["write-out"], "write-out", fallback);
  switch (text) {
    case "table":
    case "json":
    case "simple":
      return text;
    default:
      throw new Error(`--write-out: expected table, json or simple, got ${JSON.stringify(text)}`);
  }
}

/** The format asked for with -w (or RAFTKV_WRITE_OUT); undefined when none was, for commands whose default is a sentence. */
export function askedOutputFormat(args: { "write-out"?: string }): OutputFormat | undefined {
  return flagValue(args["write-out"], "write-out", "") === "" ? undefined : outputFormatOf(args);
}

/**
 * A bordered table as etcdctl prints it:
 *
 *   +----+-----------------+
 *   | ID |    ENDPOINT     |
 *   +----+-----------------+
 *   | n1 | 127.0.0.1:40051 |
 *   +----+-----------------+
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => visibleLength(row[column] ?? ""))));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const line = (cells: readonly string[], center: boolean): string =>
    `|${widths
      .map((w, column) => {
        const cell = cells[column] ?? "";
        const pad = w - visibleLength(cell);
        const left = center ? Math.floor(pad / 2) : 0;
        return ` ${" ".repeat(left)}${cell}${" ".repeat(pad - left)} `;
      })
      .join("|")}|`;
  return [rule, line(headers, true), rule, ...rows.map((row) => line(row, false)), rule].join("\n");
}

/** Length without ANSI colour codes. */
function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes this strips
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}

/** Colour only on a terminal that wants it (never in a pipe, a file, NO_COLOR or TERM=dumb). */
export function colourEnabled(stream: { readonly isTTY?: boolean } = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === "") && process.env.TERM !== "dumb";
}

export function green(text: string): string {
  return colourEnabled() ? `\u001b[32m${text}\u001b[39m` : text;
}

export function red(text: string): string {
  return colourEnabled() ? `\u001b[31m${text}\u001b[39m` : text;
}

/** JSON with 64-bit integers (bigint) as numbers when they fit, as strings otherwise. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v), 2);
}
