import type { KeyValue } from "../../../src/gen/raftkv/v1/kv_pb.ts";
import { utf8OrUndefined } from "./key-text.ts";

/** How bytes are written in an export: as text when valid UTF-8 (readable, diffable), else base64, as REST's listing does. */
export type Encoding = "utf8" | "base64";

export interface ExportedKey {
  readonly key: string;
  readonly key_encoding: Encoding;
  readonly value: string;
  readonly value_encoding: Encoding;
}

/** The file `Export` writes and `Import` reads. */
export interface ExportDocument {
  readonly format: typeof exportFormat;
  readonly prefix: string;
  /** The applied index the keys were read at. */
  readonly index: string;
  readonly exported_at: string;
  readonly kvs: readonly ExportedKey[];
}

export const exportFormat = "raftkv-export/v1";

export interface ImportEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export function exportDocument(prefix: string, index: bigint, kvs: readonly KeyValue[], now: Date): ExportDocument {
  return {
    format: exportFormat,
    prefix,
    index: String(index),
    exported_at: now.toISOString(),
    kvs: kvs.map((kv) => {
      const key = encode(kv.key);
      const value = encode(kv.value);
      return { key: key.text, key_encoding: key.encoding, value: value.text, value_encoding: value.encoding };
    }),
  };
}

/**
 * Reads an export back, checking every entry: a file with a mistake is
 * refused whole, naming the entry and the field, so an import never writes
 * half of a broken file.
 */
export function parseImport(text: string): { readonly prefix: string; readonly entries: readonly ImportEntry[] } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a JSON file: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isRecord(document)) throw new Error("expected a JSON object with a kvs list");
  if (document.format !== undefined && document.format !== exportFormat) {
    throw new Error(`format: expected ${JSON.stringify(exportFormat)}, got ${JSON.stringify(document.format)}`);
  }
  const kvs = document.kvs;
  if (!Array.isArray(kvs)) throw new Error("kvs: expected a list of {key, value} entries");
  const entries = kvs.map((entry: unknown, i): ImportEntry => {
    if (!isRecord(entry)) throw new Error(`kvs[${i}]: expected an object`);
    const key = decode(entry.key, entry.key_encoding, `kvs[${i}].key`);
    if (key.length === 0) throw new Error(`kvs[${i}].key: must not be empty`);
    return { key, value: decode(entry.value, entry.value_encoding, `kvs[${i}].value`) };
  });
  return { prefix: typeof document.prefix === "string" ? document.prefix : "", entries };
}

function encode(bytes: Uint8Array): { readonly text: string; readonly encoding: Encoding } {
  const text = utf8OrUndefined(bytes);
  return text === undefined ? { text: base64Of(bytes), encoding: "base64" } : { text, encoding: "utf8" };
}

function decode(text: unknown, encoding: unknown, field: string): Uint8Array {
  if (typeof text !== "string") throw new Error(`${field}: expected a string`);
  switch (encoding ?? "utf8") {
    case "utf8":
      return new TextEncoder().encode(text);
    case "base64":
      try {
        return bytesOfBase64(text);
      } catch {
        throw new Error(`${field}: not valid base64`);
      }
    default:
      throw new Error(`${field}_encoding: expected "utf8" or "base64", got ${JSON.stringify(encoding)}`);
  }
}

function base64Of(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function bytesOfBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
