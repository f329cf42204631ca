import { create } from "@bufbuild/protobuf";
import { Consistency, GetRequestSchema, KV, PutRequestSchema, RangeRequestSchema } from "../gen/raftkv/v1/kv_pb.ts";
import type { KvTarget, RangePage } from "./kv-target.ts";
import type { ReadLevel } from "./read-level.ts";
import type { UnaryCaller } from "./unary-caller.ts";

function consistencyOf(read: ReadLevel): Consistency {
  switch (read) {
    case "linearizable":
      return Consistency.LINEARIZABLE;
    case "stale":
      return Consistency.STALE;
    default: {
      const unknown: never = read;
      throw new Error(`unknown read level ${String(unknown)}`);
    }
  }
}

const REVISION_PROBE_KEY = new TextEncoder().encode("bench/revision-probe");

/** raftkv's KV service (raftkv.v1.KV) as a benchmark target. */
export class RaftkvTarget implements KvTarget {
  readonly system = "raftkv";

  constructor(private readonly caller: UnaryCaller) {}

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.caller.call(KV.method.put, create(PutRequestSchema, { key, value }));
  }

  async get(key: Uint8Array, read: ReadLevel): Promise<Uint8Array | undefined> {
    const response = await this.caller.call(KV.method.get, create(GetRequestSchema, { key, consistency: consistencyOf(read) }));
    return response.found ? (response.kv?.value ?? new Uint8Array()) : undefined;
  }

  async range(start: Uint8Array, end: Uint8Array, limit: number, read: ReadLevel): Promise<RangePage> {
    const response = await this.caller.call(KV.method.range, create(RangeRequestSchema, { start, end, limit, consistency: consistencyOf(read) }));
    return { pairs: response.kvs.map((kv) => ({ key: kv.key, value: kv.value })), more: response.more };
  }

  async revision(): Promise<number> {
    const response = await this.caller.call(KV.method.get, create(GetRequestSchema, { key: REVISION_PROBE_KEY, consistency: Consistency.LINEARIZABLE }));
    return Number(response.header?.index ?? 0n);
  }

  close(): void {
    this.caller.close();
  }
}
