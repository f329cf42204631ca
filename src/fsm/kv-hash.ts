import { readCompactIndex } from "./change-history.ts";
import type { HistoryRow, KvRow, KvStatements, LeaseRow } from "./kv-schema.ts";

/**
 * SHA-256 over the replicated state that a command can observe or that
 * Watch serves: every key with its value and metadata (key order), then the
 * leases (id order), the compaction index and the history rows ((index,
 * position) order). All of it is deterministic: compaction and lease expiry
 * are replicated commands, so replicas at the same applied index agree. The
 * applied position itself is not part of it (compare appliedIndex()).
 * Streams rows; O(keys + history) time.
 */
export function hashState(stmt: KvStatements): string {
  const hasher = new Bun.CryptoHasher("sha256");
  const headerBytes = new Uint8Array(40);
  const header = new DataView(headerBytes.buffer);
  const section = (tag: number): void => {
    hasher.update(new Uint8Array([0xff, tag]));
  };
  for (const row of stmt.all.iterate() as IterableIterator<KvRow>) {
    header.setUint32(0, row.key.length);
    header.setUint32(4, row.value.length);
    header.setFloat64(8, row.create_index);
    header.setFloat64(16, row.mod_index);
    header.setFloat64(24, row.version);
    header.setFloat64(32, Number(row.lease));
    hasher.update(headerBytes);
    hasher.update(row.key);
    hasher.update(row.value);
  }
  section(1);
  for (const row of stmt.allLeases.iterate() as IterableIterator<LeaseRow>) {
    header.setFloat64(0, row.id);
    header.setFloat64(8, row.ttl_ms);
    header.setFloat64(16, row.grant_index);
    hasher.update(headerBytes.subarray(0, 24));
  }
  section(2);
  header.setFloat64(0, readCompactIndex(stmt));
  hasher.update(headerBytes.subarray(0, 8));
  for (const row of stmt.allHistory.iterate() as IterableIterator<HistoryRow>) {
    header.setFloat64(0, row.idx);
    header.setUint32(8, row.pos);
    header.setUint32(12, row.type);
    header.setFloat64(16, row.create_index);
    header.setFloat64(24, row.version);
    header.setFloat64(32, Number(row.lease));
    hasher.update(headerBytes);
    header.setUint32(0, row.key.length);
    header.setUint32(4, row.value.length);
    header.setFloat64(8, row.prev_mod_index);
    hasher.update(headerBytes.subarray(0, 16));
    hasher.update(row.key);
    hasher.update(row.value);
  }
  return hasher.digest("hex");
}
