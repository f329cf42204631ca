import type { Member, Membership } from "../raft/membership.ts";
import type { SnapshotMeta as CoreSnapshotMeta } from "../raft/snapshot-meta.ts";

/** What the creator of a snapshot knows about it: the core's SnapshotMeta (position and configuration). */
export type SnapshotDescriptor = CoreSnapshotMeta;

/** A stored snapshot as listed by FileSnapshotStore. */
export interface SnapshotMeta extends SnapshotDescriptor {
  readonly id: string;
  /** Size of the data file in bytes. */
  readonly size: number;
  /** SHA-256 of the data file, lowercase hex. */
  readonly checksum: string;
  readonly createdAtMs: number;
}

const metaFormat = 1;

export function serializeSnapshotMeta(meta: SnapshotMeta): string {
  return `${JSON.stringify({ format: metaFormat, ...meta })}\n`;
}

/** Parses a metadata file, checking every field (a torn or foreign file is an error, never a guess). */
export function parseSnapshotMeta(text: string, expectedId: string): SnapshotMeta {
  const raw: unknown = JSON.parse(text);
  if (!isRecord(raw)) throw new Error("metadata is not a JSON object");
  if (raw.format !== metaFormat) throw new Error(`unsupported metadata format ${String(raw.format)}`);
  const id = requireString(raw, "id");
  if (id !== expectedId) throw new Error(`metadata names snapshot ${id}, expected ${expectedId}`);
  const checksum = requireString(raw, "checksum");
  if (!/^[0-9a-f]{64}$/.test(checksum)) throw new Error("checksum is not a SHA-256 hex digest");
  return {
    id,
    index: requireCount(raw, "index"),
    term: requireCount(raw, "term"),
    size: requireCount(raw, "size"),
    checksum,
    createdAtMs: requireCount(raw, "createdAtMs"),
    membership: parseMembership(raw.membership),
  };
}

function parseMembership(raw: unknown): Membership {
  if (!isRecord(raw) || !Array.isArray(raw.members)) throw new Error("membership is malformed");
  const members: Member[] = raw.members.map((m: unknown, i: number) => {
    if (!isRecord(m)) throw new Error(`membership member ${i} is malformed`);
    const suffrage = m.suffrage;
    if (suffrage !== "voter" && suffrage !== "nonvoter") {
      throw new Error(`membership member ${i} has unknown suffrage ${String(suffrage)}`);
    }
    const member: Member = {
      id: requireString(m, "id"),
      suffrage,
      raftAddress: requireString(m, "raftAddress"),
      clientAddress: requireString(m, "clientAddress"),
    };
    if (m.incarnation === undefined || m.incarnation === "") return member;
    return { ...member, incarnation: requireString(m, "incarnation") };
  });
  return { members, index: requireCount(raw, "index") };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireString(raw: Record<string, unknown>, field: string): string {
  const value = raw[field];
  if (typeof value !== "string") throw new Error(`field ${field} is not a string`);
  return value;
}

function requireCount(raw: Record<string, unknown>, field: string): number {
  const value = raw[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`field ${field} is not a non-negative integer`);
  }
  return value;
}

/** Newest first: higher index, then higher term, then later creation. */
export function compareNewestFirst(a: SnapshotMeta, b: SnapshotMeta): number {
  return b.index - a.index || b.term - a.term || b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : -1);
}
