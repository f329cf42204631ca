import { invalidArgument } from "../validation.ts";

/** A year: a longer TTL is almost certainly a unit mistake (milliseconds sent as seconds). */
export const maxLeaseTtlSeconds = 365 * 24 * 3600;

/**
 * Lease ids travel as int64 but the state machine keeps them as JS numbers:
 * 0 (none) up to 2^53 - 1, so an id never silently changes on its way in.
 */
export function validateLeaseId(field: string, id: bigint): number {
  if (id < 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidArgument(field, `lease id ${id} is out of range; ids are 1..${Number.MAX_SAFE_INTEGER} (0 = none)`);
  }
  return Number(id);
}

/** A lease id that must name a lease (not 0). */
export function validateRequiredLeaseId(field: string, id: bigint): number {
  if (id === 0n) throw invalidArgument(field, "must name a lease (not 0)");
  return validateLeaseId(field, id);
}

export function validateLeaseTtl(field: string, ttlSeconds: bigint): number {
  if (ttlSeconds < 1n) throw invalidArgument(field, `is ${ttlSeconds}, below the minimum of 1 second`);
  if (ttlSeconds > BigInt(maxLeaseTtlSeconds)) {
    throw invalidArgument(field, `is ${ttlSeconds} seconds, over the limit of ${maxLeaseTtlSeconds} seconds (one year)`);
  }
  return Number(ttlSeconds);
}
