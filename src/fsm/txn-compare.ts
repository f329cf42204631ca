import { type Compare, CompareOp } from "../gen/raftkv/v1/kv_pb.ts";
import { compareKeys } from "./key-range.ts";
import type { StoredKv } from "./kv-types.ts";

/**
 * One Compare of a transaction against one key's state, as etcd's compareKV
 * and applyCompare do. A missing key (kv undefined) has version, create_index,
 * mod_index and lease 0 and exists false, so "mod_index = 0" means "does not
 * exist" (create-only CAS). A value compare on a missing key fails whatever
 * the op: etcd cannot tell a missing value from "" on the wire, so it refuses
 * to guess, and a client written for etcd relies on that.
 */
export function compareHolds(compare: Compare, kv: StoredKv | undefined): boolean {
  const target = compare.target;
  switch (target.case) {
    case "value":
      return kv !== undefined && relationHolds(compare.op, compareKeys(kv.value, target.value));
    case "version":
      return relationHolds(compare.op, compareBigInts(BigInt(kv?.version ?? 0), target.value));
    case "createIndex":
      return relationHolds(compare.op, compareBigInts(BigInt(kv?.createIndex ?? 0), target.value));
    case "modIndex":
      return relationHolds(compare.op, compareBigInts(BigInt(kv?.modIndex ?? 0), target.value));
    case "lease":
      return relationHolds(compare.op, compareBigInts(BigInt(kv?.lease ?? 0), target.value));
    case "exists":
      return relationHolds(compare.op, (kv !== undefined) === target.value ? 0 : 1);
    case undefined:
      throw new Error("compareHolds needs a validated compare (it has no target)");
    default:
      return assertNever(target);
  }
}

/**
 * Why a compare cannot be evaluated, or undefined when it can. Checked for
 * every compare before any is evaluated, so a malformed txn is refused the
 * same way whatever the data.
 */
export function compareProblem(compare: Compare): string | undefined {
  if (compare.target.case === undefined) return "has no target";
  switch (compare.op) {
    case CompareOp.EQUAL:
    case CompareOp.NOT_EQUAL:
      return undefined;
    case CompareOp.LESS:
    case CompareOp.GREATER:
      return compare.target.case === "exists" ? "exists only takes EQUAL or NOT_EQUAL" : undefined;
    case CompareOp.UNSPECIFIED:
      return "has no op";
    default:
      return `has an unknown op ${String(compare.op)}`;
  }
}

/** `order` is the sign of (key's state − target). */
function relationHolds(op: CompareOp, order: number): boolean {
  switch (op) {
    case CompareOp.EQUAL:
      return order === 0;
    case CompareOp.NOT_EQUAL:
      return order !== 0;
    case CompareOp.LESS:
      return order < 0;
    case CompareOp.GREATER:
      return order > 0;
    case CompareOp.UNSPECIFIED:
      throw new Error("relationHolds needs a validated compare (it has no op)");
    default:
      return assertNever(op);
  }
}

function compareBigInts(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
