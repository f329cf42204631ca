import { create } from "@bufbuild/protobuf";
import { KV, PutRequestSchema, RangeRequestSchema } from "../gen/etcd/etcdserverpb/rpc_pb.ts";
import type { KvTarget, RangePage } from "./kv-target.ts";
import type { ReadLevel } from "./read-level.ts";
import type { UnaryCaller } from "./unary-caller.ts";

const REVISION_PROBE_KEY = new TextEncoder().encode("bench/revision-probe");

/**
 * etcd v3's KV service (/etcdserverpb.KV/Put and /Range) as a benchmark
 * target. A Get is a single-key Range, which is what etcdctl get does.
 */
export class EtcdTarget implements KvTarget {
  readonly system = "etcd";

  constructor(private readonly caller: UnaryCaller) {}

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.caller.call(KV.method.put, create(PutRequestSchema, { key, value }));
  }

  async get(key: Uint8Array, read: ReadLevel): Promise<Uint8Array | undefined> {
    const response = await this.caller.call(KV.method.range, create(RangeRequestSchema, { key, serializable: read === "stale" }));
    return response.kvs[0]?.value;
  }

  async range(start: Uint8Array, end: Uint8Array, limit: number, read: ReadLevel): Promise<RangePage> {
    const response = await this.caller.call(
      KV.method.range,
      create(RangeRequestSchema, { key: start, rangeEnd: end, limit: BigInt(limit), serializable: read === "stale" }),
    );
    return { pairs: response.kvs.map((kv) => ({ key: kv.key, value: kv.value })), more: response.more };
  }

  async revision(): Promise<number> {
    const response = await this.caller.call(KV.method.range, create(RangeRequestSchema, { key: REVISION_PROBE_KEY, countOnly: true }));
    return Number(response.header?.revision ?? 0n);
  }

  close(): void {
    this.caller.close();
  }
}
