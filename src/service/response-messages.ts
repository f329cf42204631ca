import { create } from "@bufbuild/protobuf";
import type { EngineStatus } from "../engine/engine.ts";
import type { StoredKv } from "../fsm/kv-types.ts";
import { type KeyValue, KeyValueSchema, type ResponseHeader, ResponseHeaderSchema } from "../gen/raftkv/v1/kv_pb.ts";

/*
 * The messages every service's answers are built from. Kept apart from the
 * services themselves so that handlers, the transaction response and the
 * watch stream can share them without importing one another.
 */

/** The header of an answer given at `index` by the node whose status this is. */
export function responseHeader(status: EngineStatus, index: number): ResponseHeader {
  return create(ResponseHeaderSchema, {
    index: BigInt(index),
    term: BigInt(status.term),
    leaderId: status.leaderId,
    memberId: status.id,
  });
}

/** The header of an answer given at `index` by this node, as its engine stands now. */
export function headerOf(engine: { status(): EngineStatus }, index: number): ResponseHeader {
  return responseHeader(engine.status(), index);
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
