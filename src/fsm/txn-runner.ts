import type { Compare, DeleteRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from "../gen/raftkv/v1/kv_pb.ts";
import { CommandRefusal } from "./command-refusal.ts";
import { classifyRangeEnd, compareKeys } from "./key-range.ts";
import { pageBytes, readRange } from "./key-range-reader.ts";
import type { KeySpaceWriter } from "./key-space-writer.ts";
import { type KvRow, type KvStatements, toStoredKv } from "./kv-schema.ts";
import type { TxnOpResult } from "./kv-types.ts";
import { leaseProblem } from "./lease-rules.ts";
import { rangeRequestQuery } from "./range-request-query.ts";
import { compareHolds, compareProblem } from "./txn-compare.ts";

export interface TxnOutcome {
  readonly succeeded: boolean;
  readonly responses: readonly TxnOpResult[];
}

/** How the read operations of a transaction are evaluated on this replica. */
export interface TxnReads {
  /**
   * False on a replica nobody awaits the answer of (a follower applying the
   * entry): reads are checked as usual (a refusal must be the same
   * everywhere) but not evaluated, and answer empty.
   */
  readonly evaluate: boolean;
  /**
   * Bytes of keys and values all reads of the transaction may return
   * together: each range page ends early (more, next_key) once they are
   * spent, holding at least one key. Only the answer depends on it, never
   * what the transaction writes.
   */
  readonly maxBytes: number;
}

export const evaluateAllReads: TxnReads = { evaluate: true, maxBytes: Number.POSITIVE_INFINITY };

/** The read budget left while one transaction's branch runs. */
interface ReadBudget {
  readonly evaluate: boolean;
  bytesLeft: number;
}

/**
 * Runs one transaction at the writer's current entry: the compares against
 * the state before any of its operations, then the chosen branch in order
 * (reads see the branch's earlier writes: they share the batch's SQLite
 * transaction). Throws CommandRefusal for a txn that must not apply (an empty
 * key, a lease that does not exist, a malformed compare or op); the caller
 * runs it inside a savepoint so a refusal after some writes undoes them.
 */
export function runTxn(txn: TxnRequest, stmt: KvStatements, writer: KeySpaceWriter, reads: TxnReads = evaluateAllReads): TxnOutcome {
  txn.compare.forEach((compare, i) => {
    const problem = compareProblem(compare);
    if (problem !== undefined) throw new CommandRefusal(`compare[${i}] ${problem}`);
  });
  const succeeded = txn.compare.every((compare) => compareSucceeds(compare, stmt));
  const branch = succeeded ? "success" : "failure";
  const ops = succeeded ? txn.success : txn.failure;
  const budget: ReadBudget = { evaluate: reads.evaluate, bytesLeft: reads.maxBytes };
  const responses = ops.map((op, i) => runOp(op, `${branch}[${i}]`, stmt, writer, budget));
  return { succeeded, responses };
}

function compareSucceeds(compare: Compare, stmt: KvStatements): boolean {
  const bound = classifyRangeEnd(compare.rangeEnd);
  switch (bound.kind) {
    case "single": {
      const row = stmt.get.get(compare.key) as KvRow | null;
      return compareHolds(compare, row === null ? undefined : toStoredKv(row));
    }
    case "before": {
      if (compareKeys(compare.key, bound.end) >= 0) return compareHolds(compare, undefined);
      return everyRowHolds(compare, stmt.rangeBefore.iterate(compare.key, bound.end, -1) as IterableIterator<KvRow>);
    }
    case "unbounded":
      return everyRowHolds(compare, stmt.rangeFrom.iterate(compare.key, -1) as IterableIterator<KvRow>);
    default:
      return assertNever(bound);
  }
}

/**
 * Streams the range (it may be large) and stops at the first key that fails.
 * An empty range is not vacuously true: as in etcd, it is judged as one
 * missing key (a value compare fails, the others see zeros).
 */
function everyRowHolds(compare: Compare, rows: IterableIterator<KvRow>): boolean {
  let empty = true;
  for (const row of rows) {
    empty = false;
    if (!compareHolds(compare, toStoredKv(row))) return false;
  }
  return empty ? compareHolds(compare, undefined) : true;
}

function runOp(op: RequestOp, where: string, stmt: KvStatements, writer: KeySpaceWriter, budget: ReadBudget): TxnOpResult {
  switch (op.op.case) {
    case "put":
      return runPut(op.op.value, where, stmt, writer);
    case "delete":
      return runDelete(op.op.value, where, writer);
    case "get": {
      if (op.op.value.key.length === 0) throw new CommandRefusal(`${where} get with an empty key`);
      if (!budget.evaluate) return { kind: "get" };
      const row = stmt.get.get(op.op.value.key) as KvRow | null;
      if (row === null) return { kind: "get" };
      // One key, never cut short (bounded by the value limit); it spends the budget the ranges share.
      budget.bytesLeft -= row.key.length + row.value.length;
      return { kind: "get", kv: toStoredKv(row) };
    }
    case "range":
      return runRange(op.op.value, stmt, budget);
    case undefined:
      throw new CommandRefusal(`${where} has no operation`);
    default:
      return assertNever(op.op);
  }
}

function runPut(put: PutRequest, where: string, stmt: KvStatements, writer: KeySpaceWriter): TxnOpResult {
  if (put.key.length === 0) throw new CommandRefusal(`${where} put with an empty key`);
  const problem = leaseProblem(put.lease, stmt);
  if (problem !== undefined) throw new CommandRefusal(`${where} put: ${problem}`);
  const prev = writer.put(put.key, put.value, put.lease, put.prevKv);
  return prev === undefined ? { kind: "put" } : { kind: "put", prev };
}

function runDelete(del: DeleteRequest, where: string, writer: KeySpaceWriter): TxnOpResult {
  if (del.key.length === 0 && del.rangeEnd.length === 0) throw new CommandRefusal(`${where} delete with an empty key`);
  const prevs = writer.delete(del.key, del.rangeEnd);
  return { kind: "delete", deleted: prevs.length, prevs: del.prevKv ? prevs : [] };
}

function runRange(range: RangeRequest, stmt: KvStatements, budget: ReadBudget): TxnOpResult {
  const query = rangeRequestQuery(range);
  if (query === undefined || !budget.evaluate) return { kind: "range", result: { kvs: [], more: false, count: 0 } };
  const result = readRange(stmt, { ...query, maxBytes: Math.max(0, budget.bytesLeft) });
  budget.bytesLeft -= pageBytes(result.kvs);
  return { kind: "range", result };
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
