import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.ts";
import { type CompactRequest, type CompactResponse, CompactResponseSchema, type KV } from "../../gen/raftkv/v1/kv_pb.ts";
import { headerOf } from "../response-messages.ts";
import { invalidArgument } from "../validation.ts";
import type { LeaderCall, WritePath } from "../write/index.ts";

export type CompactHandler = (request: CompactRequest, context: HandlerContext) => Promise<CompactResponse>;

/**
 * KV.Compact: drops per-key history older than the given index. The bounds
 * are checked against the leader's state (a follower forwards first, since
 * its applied index may lag); the state machine checks again when it applies.
 */
export function createCompactHandler(engine: Pick<Engine, "stateMachine" | "status">, writes: WritePath<typeof KV>): CompactHandler {
  const fsm = engine.stateMachine;
  return async (request, context) => {
    if (request.index === 0n) throw invalidArgument("index", "must be at least 1 (history before it is dropped)");
    const onLeader: LeaderCall<typeof KV, CompactResponse> = (kv, options) => kv.compact(request, options);
    return writes.leaderOnly(context, onLeader, async () => {
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
      return writes.propose(context, {
        op: { case: "compact", value: { index: request.index } },
        onLeader,
        answer: (done) => create(CompactResponseSchema, { header: headerOf(engine, done.index), compactIndex: BigInt(done.result.compactIndex) }),
      });
    });
  };
}
