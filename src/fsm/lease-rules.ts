import type { KvStatements } from "./kv-schema.ts";

/** Why a put may not attach this lease, or undefined when it may (0 = no lease). */
export function leaseProblem(lease: bigint, stmt: KvStatements): string | undefined {
  if (lease === 0n) return undefined;
  return stmt.selectLease.get(lease) === null ? `lease ${lease} does not exist` : undefined;
}

/**
 * Why a grant cannot apply, or undefined when it can. Ids and TTLs must be
 * positive and fit a JS number exactly (LeaseRecord holds numbers); 0 means
 * "no lease" in a put.
 */
export function leaseGrantProblem(id: bigint, ttlMs: bigint, stmt: KvStatements): string | undefined {
  if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) return `lease id ${id} is not in 1..${Number.MAX_SAFE_INTEGER}`;
  if (ttlMs <= 0n || ttlMs > BigInt(Number.MAX_SAFE_INTEGER)) return `lease ${id}: ttl_ms ${ttlMs} is not positive`;
  if (stmt.selectLease.get(id) !== null) return `lease ${id} already exists`;
  return undefined;
}
