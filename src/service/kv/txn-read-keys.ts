import { Code, ConnectError } from "@connectrpc/connect";
import type { RequestOp, TxnRequest } from "../../gen/raftkv/v1/kv_pb.ts";
import type { Limits } from "../limits.ts";

/**
 * How many keys one branch's reads may return: each range its (resolved)
 * limit, a count-only range none, a get one. Writes return nothing here
 * (a delete's prev_kvs are the cost of the delete itself).
 */
function readKeys(ops: readonly RequestOp[]): number {
  let keys = 0;
  for (const op of ops) {
    if (op.op.case === "get") keys += 1;
    else if (op.op.case === "range" && !op.op.value.countOnly) keys += op.op.value.limit;
  }
  return keys;
}

/**
 * Refuses, before it is proposed, a transaction whose reads could return
 * more keys than the limit: every replica applies it inside the apply loop,
 * and the one answering builds the whole answer there (128 ranges of 10,000
 * keys each made a 901-byte request cost gigabytes). `txn` has its range
 * limits resolved (validateTxn). Bytes are bounded as they are read (see
 * TxnReads.maxBytes): a range page ends early past maxResponseBytes.
 */
export function checkTxnReadKeys(txn: TxnRequest, limits: Limits): void {
  for (const [branch, ops] of [
    ["success", txn.success],
    ["failure", txn.failure],
  ] as const) {
    const keys = readKeys(ops);
    if (keys > limits.maxTxnReadKeys) {
      throw new ConnectError(
        `${branch}: its reads may return ${keys} keys (range limits, a range without one counting as the default page ` +
          `size, plus one per get), over the limit of ${limits.maxTxnReadKeys} keys per transaction (--max-txn-read-keys); ` +
          `give the ranges smaller limits or read with Range, page by page`,
        Code.ResourceExhausted,
      );
    }
  }
}
