import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.ts";
import { txnPuts } from "../../fsm/quota-rules.ts";
import { type KV, type TxnRequest, type TxnResponse, TxnResponseSchema } from "../../gen/raftkv/v1/kv_pb.ts";
import type { Limits } from "../limits.ts";
import { headerOf } from "../response-messages.ts";
import { refuseIfOverQuota, type WritePath } from "../write/index.ts";
import { responseOpOf } from "./txn-response.ts";
import { validateTxn } from "./txn-validation.ts";

export type TxnHandler = (request: TxnRequest, context: HandlerContext) => Promise<TxnResponse>;

/**
 * KV.Txn: validates every compare and operation, proposes the transaction as
 * one command (it applies atomically at one index on every replica), and
 * answers with the branch that ran. A follower forwards it to the leader.
 */
export function createTxnHandler(engine: Engine, limits: Limits, writes: WritePath<typeof KV>): TxnHandler {
  return async (request, context) => {
    const txn = validateTxn(request, limits);
    if (txnPuts(txn)) refuseIfOverQuota(engine.stateMachine);
    return writes.propose(context, {
      op: { case: "txn", value: txn },
      onLeader: (kv, options) => kv.txn(request, options),
      answer: ({ index, result }) => {
        const header = headerOf(engine, index);
        const branch = result.succeeded ? txn.success : txn.failure;
        return create(TxnResponseSchema, {
          header,
          succeeded: result.succeeded,
          responses: result.responses.map((op, i) => responseOpOf(op, branch[i], header, index)),
          index: BigInt(index),
        });
      },
    });
  };
}
