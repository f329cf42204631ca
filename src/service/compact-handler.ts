import { create, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Applied, Engine } from "../engine/engine.ts";
import { CommandSchema } from "../gen/raftkv/v1/command_pb.ts";
import { type CompactRequest, type CompactResponse, CompactResponseSchema, KV } from "../gen/raftkv/v1/kv_pb.ts";
import { toConnectError } from "./engine-error-to-connect.ts";
import { headerOf } from "./kv-service.ts";
import type { LeaderForwarder } from "./leader-forwarder.ts";
import { forwardable, leaderRefusal, proposeCommand } from "./txn-proposal.ts";
import { invalidArgument } from "./validation.ts";

export type CompactHandler = (request: CompactRequest, context: HandlerContext) => Promise<CompactResponse>;

/**
 * KV.Compact: drops per-key history older than the given index. The bounds
 * are checked against the leader's state (a follower forwards first, since
 * its applied index may lag); the state machine checks again when it applies.
 */
export function createCompactHandler(engine: Engine, forwarder: LeaderForwarder | undefined): CompactHandler {
  const fsm = engine.stateMachine;
  return async (request, context) => {
    if (request.index === 0n) throw invalidArgument("index", "must be at least 1 (history before it is dropped)");
    const refusal = leaderRefusal(engine);
    if (refusal !== undefined && forwarder !== undefined) {
      return forwarder.forward(KV, refusal, context, (kv, options) => kv.compact(request, options));
    }
    const applied = fsm.appliedIndex();
    if (request.index > BigInt(applied)) {
      throw new ConnectError(`index: ${request.index} is above the applied index ${applied}; compact at or below it`, Code.OutOfRange);
    }
    const index = Number(request.index);
    const current = fsm.compactIndex();
    if (index < current) {
      throw new ConnectError(
        `index: ${index} is below the current compact index ${current}; history before ${current} is already compacted`,
        Code.FailedPrecondition,
      );
    }
    const command = toBinary(CommandSchema, create(CommandSchema, { op: { case: "compact", value: { index: request.index } } }));
    let outcome: Applied;
    try {
      outcome = await proposeCommand(engine, command, context.signal);
    } catch (error) {
      if (forwarder !== undefined && forwardable(error)) return forwarder.forward(KV, error, context, (kv, options) => kv.compact(request, options));
      throw toConnectError(error);
    }
    const result = outcome.result;
    if (result.kind !== "compact") {
      throw new ConnectError(`entry ${outcome.index}: the state machine answered a compaction with a ${result.kind} result`, Code.Internal);
    }
    return create(CompactResponseSchema, { header: headerOf(engine, outcome.index), compactIndex: BigInt(result.compactIndex) });
  };
}
