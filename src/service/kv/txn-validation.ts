import { clone } from "@bufbuild/protobuf";
import { type Compare, CompareOp, type RequestOp, type TxnRequest, TxnRequestSchema } from "../../gen/raftkv/v1/kv_pb.ts";
import { validateLeaseId } from "../lease/index.ts";
import type { Limits } from "../limits.ts";
import { invalidArgument, validateKey, validateLimit, validateOptionalKey, validateValue } from "../validation.ts";
import { checkTxnReadKeys } from "./txn-read-keys.ts";

/**
 * The most compares, and the most operations per branch, one transaction may
 * hold (etcd's default). A transaction applies in one SQLite transaction on
 * every replica, so its size bounds the apply loop's pause.
 */
export const maxTxnOperations = 128;

/**
 * Checks every compare and operation of a transaction before it is proposed,
 * naming the offending field (e.g. `success[3].put.value`) and the limit.
 * Returns the request as it is proposed: range limits of 0 resolved to the
 * server's default page size, so every replica reads the same page.
 */
export function validateTxn(request: TxnRequest, limits: Limits): TxnRequest {
  checkCount("compare", request.compare.length);
  checkCount("success", request.success.length);
  checkCount("failure", request.failure.length);
  request.compare.forEach((compare, i) => {
    validateCompare(`compare[${i}]`, compare, limits);
  });
  const normalized = clone(TxnRequestSchema, request);
  normalized.success.forEach((op, i) => {
    normalizeOp(`success[${i}]`, op, limits);
  });
  normalized.failure.forEach((op, i) => {
    normalizeOp(`failure[${i}]`, op, limits);
  });
  checkTxnReadKeys(normalized, limits);
  return normalized;
}

function checkCount(field: string, count: number): void {
  if (count > maxTxnOperations) {
    throw invalidArgument(field, `has ${count} entries, over the limit of ${maxTxnOperations} per transaction`);
  }
}

function validateCompare(field: string, compare: Compare, limits: Limits): void {
  validateKey(`${field}.key`, compare.key, limits);
  validateOptionalKey(`${field}.range_end`, compare.rangeEnd, limits);
  const op = compare.op;
  switch (op) {
    case CompareOp.EQUAL:
    case CompareOp.NOT_EQUAL:
    case CompareOp.LESS:
    case CompareOp.GREATER:
      break;
    case CompareOp.UNSPECIFIED:
      throw invalidArgument(`${field}.op`, "must be set (EQUAL, NOT_EQUAL, LESS or GREATER)");
    default:
      throw invalidArgument(`${field}.op`, `unknown compare operator ${String(op)}`);
  }
  const target = compare.target;
  switch (target.case) {
    case "value":
      validateValue(`${field}.value`, target.value, limits);
      return;
    case "version":
    case "createIndex":
    case "modIndex":
      return;
    case "lease":
      validateLeaseId(`${field}.lease`, target.value);
      return;
    case "exists":
      if (op !== CompareOp.EQUAL && op !== CompareOp.NOT_EQUAL) {
        throw invalidArgument(`${field}.op`, "an exists target only takes EQUAL or NOT_EQUAL");
      }
      return;
    case undefined:
      throw invalidArgument(`${field}.target`, "must be set (value, version, create_index, mod_index, lease or exists)");
    default: {
      const unreachable: never = target;
      throw invalidArgument(`${field}.target`, `unknown target ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Validates one operation in place and resolves its defaults. */
function normalizeOp(field: string, requestOp: RequestOp, limits: Limits): void {
  const op = requestOp.op;
  switch (op.case) {
    case "put":
      validateKey(`${field}.put.key`, op.value.key, limits);
      validateValue(`${field}.put.value`, op.value.value, limits);
      validateLeaseId(`${field}.put.lease`, op.value.lease);
      return;
    case "delete":
      validateKey(`${field}.delete.key`, op.value.key, limits);
      validateOptionalKey(`${field}.delete.range_end`, op.value.rangeEnd, limits);
      return;
    case "get":
      validateKey(`${field}.get.key`, op.value.key, limits);
      return;
    case "range":
      validateOptionalKey(`${field}.range.prefix`, op.value.prefix, limits);
      validateOptionalKey(`${field}.range.start`, op.value.start, limits);
      validateOptionalKey(`${field}.range.end`, op.value.end, limits);
      op.value.limit = validateLimit(`${field}.range.limit`, op.value.limit, limits);
      return;
    case undefined:
      throw invalidArgument(`${field}.op`, "must be set (put, delete, get or range)");
    default: {
      const unreachable: never = op;
      throw invalidArgument(`${field}.op`, `unknown operation ${JSON.stringify(unreachable)}`);
    }
  }
}
