import { create, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Applied, Engine } from "../engine/engine.ts";
import { CommandSchema } from "../gen/raftkv/v1/command_pb.ts";
import { KV, type TxnRequest, type TxnResponse, TxnResponseSchema } from "../gen/raftkv/v1/kv_pb.ts";
import { toConnectError } from "./engine-error-to-connect.ts";
import { headerOf } from "./kv-service.ts";
import type { LeaderForwarder } from "./leader-forwarder.ts";
import type { Limits } from "./limits.ts";
import { forwardable, proposeCommand } from "./txn-proposal.ts";
import { responseOpOf } from "./txn-response.ts";
import { validateTxn } from "./txn-validation.ts";
import { txnPuts } from "../fsm/quota-rules.ts";
import { refuseIfOverQuota } from "./quota-check.ts";

export type TxnHandler = (request: TxnRequest, context: HandlerContext) => Promise<TxnResponse>;

/**
 * KV.Txn: validates every compare and operation, proposes the transaction as
 * one command (it applies atomically at one index on every replica), and
 * answers with the branch that ran. A follower forwards it to the leader.
 */
export function createTxnHandler(engine: Engine, limits: Limits, forwarder: LeaderForwarder | undefined): TxnHandler {
  return async (request, context) => {
    const txn = validateTxn(request, limits);
    if (txnPuts(txn)) refuseIfOverQuota(engine.stateMachine);
    const command = toBinary(CommandSchema, create(CommandSchema, { op: { case: "txn", value: txn } }));
    let applied: Applied;
    try {
      applied = await proposeCommand(engine, command, context.signal);
    } catch (error) {
      if (forwarder !== undefined && forwardable(error)) return forwarder.forward(KV, error, context, (kv, options) => kv.txn(request, options));
      throw toConnectError(error);
    }
    const result = applied.result;
    if (result.kind !== "txn") {
      throw new ConnectError(`entry ${applied.index}: the state machine answered a transaction with a ${result.kind} result`, Code.Internal);
    }
    const header = headerOf(engine, applied.index);
    const branch = result.succeeded ? txn.success : txn.failure;
    return create(TxnResponseSchema, {
      header,
      succeeded: result.succeeded,
      responses: result.responses.map((op, i) => responseOpOf(op, branch[i], header, applied.index)),
      index: BigInt(applied.index),
    });
  };
}
