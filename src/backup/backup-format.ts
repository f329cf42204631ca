import { open } from "node:fs/promises";
import { errorMessage } from "../log/error-message.ts";

/**
 * A backup file: one magic line, one JSON line (BackupHeader), then the
 * state machine's SQLite database exactly as the member streamed it. The
 * header records the index, the size and the SHA-256 of the database bytes,
 * so `raftkv snapshot status` and `restore` check a file before trusting it.
 */
export const BACKUP_MAGIC = "RAFTKV-BACKUP 1";
/** A header line longer than this is not one of ours. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface BackupHeader {
  readonly format: 1;
  readonly index: number;
  readonly term: number;
  readonly size: number;
  readonly sha256: string;
  readonly keys: number;
  readonly clusterId: string;
  readonly memberId: string;
  readonly compactIndex: number;
  readonly raftkvVersion: string;
  readonly createdAtUnixMs: number;
}

export function encodeBackupHeader(header: BackupHeader): Uint8Array {
  return new TextEncoder().encode(`${BACKUP_MAGIC}\n${JSON.stringify(header)}\n`);
}

/** The header and where the database bytes start; throws naming what is wrong. */
export async function readBackupHeader(path: string): Promise<{ readonly header: BackupHeader; readonly dataOffset: number }> {
  const handle = await open(path, "r").catch((error: unknown) => {
    throw new Error(`cannot open backup ${path}: ${errorMessage(error)}`);
  });
  try {
    const buffer = new Uint8Array(MAX_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    const firstNewline = head.indexOf(10);
    const secondNewline = firstNewline < 0 ? -1 : head.indexOf(10, firstNewline + 1);
    const magic = new TextDecoder().decode(head.subarray(0, Math.max(0, firstNewline)));
    if (firstNewline < 0 || magic !== BACKUP_MAGIC) throw new Error(`${path} is not a raftkv backup (it does not start with "${BACKUP_MAGIC}")`);
    if (secondNewline < 0) throw new Error(`${path}: the backup header is cut short or over ${MAX_HEADER_BYTES} bytes`);
    const header = parseHeader(new TextDecoder().decode(head.subarray(firstNewline + 1, secondNewline)), path);
    return { header, dataOffset: secondNewline + 1 };
  } finally {
    await handle.close();
  }
}

function parseHeader(text: string, path: string): BackupHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: the backup header is not JSON: ${errorMessage(error)}`);
  }
  if (typeof raw !== "object" || raw === null) throw new Error(`${path}: the backup header is not a JSON object`);
  const r = raw as Record<string, unknown>;
  if (r.format !== 1) throw new Error(`${path}: backup format ${String(r.format)} is not supported (this raftkv reads format 1)`);
  const count = (field: string): number => {
    const value = r[field];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new Error(`${path}: header field ${field} is not a non-negative integer`);
    return value;
  };
  const text_ = (field: string): string => {
    const value = r[field];
    if (typeof value !== "string") throw new Error(`${path}: header field ${field} is not a string`);
    return value;
  };
  const sha256 = text_("sha256");
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${path}: header field sha256 is not a SHA-256 hex digest`);
  return {
    format: 1,
    index: count("index"),
    term: count("term"),
    size: count("size"),
    sha256,
    keys: count("keys"),
    clusterId: text_("clusterId"),
    memberId: text_("memberId"),
    compactIndex: count("compactIndex"),
    raftkvVersion: text_("raftkvVersion"),
    createdAtUnixMs: count("createdAtUnixMs"),
  };
}

/**
 * Reads the whole file and checks the database bytes against the header's
 * size and SHA-256; resolves with the header, throws on any mismatch.
 */
export async function verifyBackupFile(path: string): Promise<{ readonly header: BackupHeader; readonly dataOffset: number }> {
  const read = await readBackupHeader(path);
  const { header, dataOffset } = read;
  const hasher = new Bun.CryptoHasher("sha256");
  let size = 0;
  for await (const chunk of Bun.file(path).slice(dataOffset).stream()) {
    hasher.update(chunk);
    size += chunk.length;
  }
  if (size !== header.size) throw new Error(`${path}: the backup holds ${size} bytes of data, its header says ${header.size} (a cut-short file?)`);
  const checksum = hasher.digest("hex");
  if (checksum !== header.sha256) throw new Error(`${path}: the data's sha256 is ${checksum}, its header says ${header.sha256}: the file is damaged`);
  return read;
}
