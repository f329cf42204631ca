import { create, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { StoredKv } from "../fsm/kv-types.ts";
import { CommandSchema } from "../gen/raftkv/v1/command_pb.ts";
import {
  type Consistency,
  DeleteResponseSchema,
  GetResponseSchema,
  KeyValueSchema,
  PutResponseSchema,
  RangeResponseSchema,
  ResponseHeaderSchema,
  type KeyValue,
  KV,
  type ResponseHeader,
} from "../gen/raftkv/v1/kv_pb.ts";
import type { Applied, Engine } from "../engine/engine.ts";
import type { Limits } from "./limits.ts";
import type { LeaderForwarder } from "./leader-forwarder.ts";
import { RaftNotLeaderError } from "../engine/raft-not-leader-error.ts";
import { readConsistencyOf } from "./consistency.ts";
import { toConnectError } from "./engine-error-to-connect.ts";
import { isEmptyInterval, rangeInterval } from "./key-interval.ts";
import { validateKey, validateLimit, validateOptionalKey, validateValue } from "./validation.ts";
import { createTxnHandler } from "./txn-handler.ts";
import { createCompactHandler } from "./compact-handler.ts";
import type { WatchHub } from "./watch-hub.ts";
import { createWatchHandlers, type WatchHandlers } from "./watch-handler.ts";
import { validateLeaseId } from "./lease-validation.ts";
import { applyRefusalError } from "./apply-refusal.ts";
import { refuseIfOverQuota } from "./quota-check.ts";

export function headerOf(engine: Engine, index: number): ResponseHeader {
  const status = engine.status();
  return create(ResponseHeaderSchema, {
    index: BigInt(index),
    term: BigInt(status.term),
    leaderId: status.leaderId,
    memberId: status.id,
  });
}

export function keyValueOf(kv: StoredKv, keysOnly = false): KeyValue {
  return create(KeyValueSchema, {
    key: kv.key,
    value: keysOnly ? new Uint8Array(0) : kv.value,
    createIndex: BigInt(kv.createIndex),
    modIndex: BigInt(kv.modIndex),
    version: BigInt(kv.version),
    lease: BigInt(kv.lease),
  });
}

/** A write this node may hand to the leader: refused before it entered any log. */
function forwardable(error: unknown): error is RaftNotLeaderError {
  return error instanceof RaftNotLeaderError && !error.proposed;
}

async function propose(engine: Engine, command: Uint8Array, context: HandlerContext): Promise<Applied> {
  const applied = await engine.propose(command, context.signal);
  // The state machine refused the command deterministically on every node.
  if (applied.result.kind === "error") throw applyRefusalError(applied.result);
  return applied;
}

async function readAt(engine: Engine, consistency: Consistency, context: HandlerContext): Promise<void> {
  try {
    await engine.readBarrier(readConsistencyOf("consistency", consistency), context.signal);
  } catch (error) {
    throw toConnectError(error);
  }
}

/**
 * The KV service: one implementation behind every protocol (gRPC, gRPC-Web,
 * Connect, the gRPC fast path and REST). Validation happens here, before
 * anything is proposed, so bad input never reaches the log.
 */
export function createKvService(
  engine: Engine,
  limits: Limits,
  forwarder?: LeaderForwarder,
  watchHub?: WatchHub,
): ServiceImpl<typeof KV> {
  const fsm = engine.stateMachine;
  const watches = watchHandlersFor(engine, limits, watchHub);
  return {
    async put(request, context) {
      validateKey("key", request.key, limits);
      validateValue("value", request.value, limits);
      validateLeaseId("lease", request.lease);
      refuseIfOverQuota(fsm);
      const command = toBinary(
        CommandSchema,
        create(CommandSchema, {
          op: { case: "put", value: { key: request.key, value: request.value, prevKv: request.prevKv, lease: request.lease } },
        }),
      );
      let applied: Applied;
      try {
        applied = await propose(engine, command, context);
      } catch (error) {
        if (forwarder !== undefined && forwardable(error)) return forwarder.forward(KV, error, context, (kv, options) => kv.put(request, options));
        throw toConnectError(error);
      }
      const result = applied.result;
      const prev = result.kind === "put" ? result.prev : undefined;
      return create(PutResponseSchema, {
        header: headerOf(engine, applied.index),
        index: BigInt(applied.index),
        prevKv: prev === undefined ? undefined : keyValueOf(prev),
      });
    },

    async get(request, context) {
      validateKey("key", request.key, limits);
      await readAt(engine, request.consistency, context);
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
      const command = toBinary(
        CommandSchema,
        create(CommandSchema, {
          op: { case: "delete", value: { key: request.key, rangeEnd: request.rangeEnd, prevKv: request.prevKv } },
        }),
      );
      let applied: Applied;
      try {
        applied = await propose(engine, command, context);
      } catch (error) {
        if (forwarder !== undefined && forwardable(error)) return forwarder.forward(KV, error, context, (kv, options) => kv.delete(request, options));
        throw toConnectError(error);
      }
      const result = applied.result;
      return create(DeleteResponseSchema, {
        header: headerOf(engine, applied.index),
        index: BigInt(applied.index),
        deleted: BigInt(result.kind === "delete" ? result.deleted : 0),
        prevKvs: result.kind === "delete" ? result.prevs.map((kv) => keyValueOf(kv)) : [],
      });
    },

    async range(request, context) {
      validateOptionalKey("prefix", request.prefix, limits);
      validateOptionalKey("start", request.start, limits);
      validateOptionalKey("end", request.end, limits);
      const limit = validateLimit("limit", request.limit, limits);
      await readAt(engine, request.consistency, context);
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

    txn: createTxnHandler(engine, limits, forwarder),
    watch: (request, context) => watches.watch(request, context),
    requestProgress: (request, context) => watches.requestProgress(request, context),
    compact: createCompactHandler(engine, forwarder),
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
      async *watch() {
        refusal();
      },
      requestProgress: refusal,
    };
  }
  return createWatchHandlers({ hub, limits, header: (index) => headerOf(engine, index), keyValue: (kv) => keyValueOf(kv) });
}
