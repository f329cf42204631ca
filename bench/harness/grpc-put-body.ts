import { create, toBinary } from "@bufbuild/protobuf";
import type { TargetSystem } from "../../src/bench/index.ts";
import { PutRequestSchema as EtcdPutRequestSchema } from "../../src/gen/etcd/etcdserverpb/rpc_pb.ts";
import { PutRequestSchema as RaftkvPutRequestSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";

/** The one key every h2load request writes (h2load sends the same body each time). */
export const H2LOAD_KEY = "h2load/key";

/** gRPC's length-prefixed message frame: flag byte 0 (uncompressed), 4-byte big-endian length, message. */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return frame;
}

/**
 * The same Put (key h2load/key, 256-byte value) encoded for each system.
 * Both messages put key in field 1 and value in field 2, so the bytes are
 * identical; they are still built from each system's own schema.
 */
export function putBody(system: TargetSystem, valueSize: number): Uint8Array {
  const key = new TextEncoder().encode(H2LOAD_KEY);
  const value = new Uint8Array(valueSize).fill(0x2e);
  switch (system) {
    case "raftkv":
      return grpcFrame(toBinary(RaftkvPutRequestSchema, create(RaftkvPutRequestSchema, { key, value })));
    case "etcd":
      return grpcFrame(toBinary(EtcdPutRequestSchema, create(EtcdPutRequestSchema, { key, value })));
    default: {
      const unknown: never = system;
      throw new Error(`unknown system ${String(unknown)}`);
    }
  }
}

export function putPath(system: TargetSystem): string {
  switch (system) {
    case "raftkv":
      return "/raftkv.v1.KV/Put";
    case "etcd":
      return "/etcdserverpb.KV/Put";
    default: {
      const unknown: never = system;
      throw new Error(`unknown system ${String(unknown)}`);
    }
  }
}
