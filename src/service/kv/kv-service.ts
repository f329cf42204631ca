import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.ts";
import { DeleteResponseSchema, GetResponseSchema, KV, PutResponseSchema, RangeResponseSchema } from "../../gen/raftkv/v1/kv_pb.ts";
import { readConsistencyOf } from "../consistency.ts";
import { isEmptyInterval, rangeInterval } from "../key-interval.ts";
import { validateLeaseId } from "../lease/index.ts";
import type { Limits } from "../limits.ts";
import { readBarrier } from "../read-barrier.ts";
import { headerOf, keyValueOf } from "../response-messages.ts";
import { validateKey, validateLimit, validateOptionalKey, validateValue } from "../validation.ts";
import { createWatchHandlers, type WatchHandlers, type WatchHub } from "../watch/index.ts";
import { type LeaderForwarder, refuseIfOverQuota, WritePath } from "../write/index.ts";
import { createCompactHandler } from "./compact-handler.ts";
import { createTxnHandler } from "./txn-handler.ts";

/**
 * The KV service: one implementation behind every protocol (gRPC, gRPC-Web,
 * Connect, the gRPC fast path and REST). Validation happens here, before
 * anything is proposed, so bad input never reaches the log.
 */
export function createKvService(engine: Engine, limits: Limits, forwarder: LeaderForwarder, watchHub?: WatchHub): ServiceImpl<typeof KV> {
  const fsm = engine.stateMachine;
  const writes = new WritePath(KV, engine, forwarder);
  const watches = watchHandlersFor(engine, limits, watchHub);
  return {
    async put(request, context) {
      validateKey("key", request.key, limits);
      validateValue("value", request.value, limits);
      validateLeaseId("lease", request.lease);
      refuseIfOverQuota(fsm);
      return writes.propose(context, {
        op: { case: "put", value: { key: request.key, value: request.value, prevKv: request.prevKv, lease: request.lease } },
        onLeader: (kv, options) => kv.put(request, options),
        answer: ({ index, result }) =>
          create(PutResponseSchema, {
            header: headerOf(engine, index),
            index: BigInt(index),
            prevKv: result.prev === undefined ? undefined : keyValueOf(result.prev),
          }),
      });
    },

    async get(request, context) {
      validateKey("key", request.key, limits);
      await readBarrier(engine, readConsistencyOf("consistency", request.consistency), context.signal);
      const kv = fsm.get(request.key);
      return create(GetResponseSchema, {
        header: headerOf(engine, fsm.appliedIndex()),
        found: kv !== undefined,
        kv: kv === undefined ? undefined : keyValueOf(kv),
      });
    },

    async delete(request, context) {
      validateKey("key", request.key, limits);
      validateOptionalKey("range_end", request.rangeEnd, limits);
      return writes.propose(context, {
        op: { case: "delete", value: { key: request.key, rangeEnd: request.rangeEnd, prevKv: request.prevKv } },
        onLeader: (kv, options) => kv.delete(request, options),
        answer: ({ index, result }) =>
          create(DeleteResponseSchema, {
            header: headerOf(engine, index),
            index: BigInt(index),
            deleted: BigInt(result.deleted),
            prevKvs: result.prevs.map((kv) => keyValueOf(kv)),
          }),
      });
    },

    async range(request, context) {
      validateOptionalKey("prefix", request.prefix, limits);
      validateOptionalKey("start", request.start, limits);
      validateOptionalKey("end", request.end, limits);
      const limit = validateLimit("limit", request.limit, limits);
      await readBarrier(engine, readConsistencyOf("consistency", request.consistency), context.signal);
      const interval = rangeInterval(request.prefix, request.start, request.end);
      const header = headerOf(engine, fsm.appliedIndex());
      if (isEmptyInterval(interval)) return create(RangeResponseSchema, { header });
      const page = fsm.range({
        start: interval.start,
        end: interval.end,
        limit,
        keysOnly: request.keysOnly,
        countOnly: request.countOnly,
        maxBytes: limits.maxResponseBytes,
      });
      return create(RangeResponseSchema, {
        header,
        kvs: page.kvs.map((kv) => keyValueOf(kv, request.keysOnly)),
        more: page.more,
        nextKey: page.nextKey ?? new Uint8Array(0),
        count: BigInt(page.count),
      });
    },

    txn: createTxnHandler(engine, limits, writes),
    watch: (request, context) => watches.watch(request, context),
    requestProgress: (request, context) => watches.requestProgress(request, context),
    compact: createCompactHandler(engine, writes),
  };
}

/** Watch needs the node's hub; a service built without one (some tests) says so instead of hanging. */
function watchHandlersFor(engine: Engine, limits: Limits, hub: WatchHub | undefined): WatchHandlers {
  if (hub === undefined) {
    const refusal = (): never => {
      throw new ConnectError("Watch is not available: this KV service was started without a watch hub", Code.Unimplemented);
    };
    return {
      // A generator, so the error reaches the client as the stream's status.
      // biome-ignore lint/correctness/useYield: it refuses before its first item; being a generator is the point
      async *watch() {
        refusal();
      },
      requestProgress: refusal,
    };
  }
  return createWatchHandlers({ hub, limits, header: (index) => headerOf(engine, index), keyValue: (kv) => keyValueOf(kv) });
}
