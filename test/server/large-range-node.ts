import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV, type RequestOp } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { ServeProcess } from "../cluster/serve-process.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

/** 1,000 keys of 3,000-byte values under `big/`: one Range of them answers about 3 MB. */
export const largeRange = { keys: 1000, valueBytes: 3000, prefix: "big/" } as const;

export function bigKey(i: number): string {
  return `${largeRange.prefix}${String(i).padStart(4, "0")}`;
}

/** Key i's value: its index in every byte's low bits, so a mixed-up answer shows. */
export function bigValue(i: number): Uint8Array {
  return new Uint8Array(largeRange.valueBytes).fill(i % 251);
}

export interface LargeRangeNode {
  readonly node: ServeProcess;
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A single `raftkv serve` process holding the large range, for many concurrent multi-MB answers on one connection. */
export async function startLargeRangeNode(): Promise<LargeRangeNode> {
  const root = tempDir("large-range");
  const node = new ServeProcess({ id: "n1", dataDir: join(root, "n1"), flags: ["--raft-listen", "127.0.0.1:0"] });
  await node.start();
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const utf8 = new TextEncoder();
  for (let start = 0; start < largeRange.keys; start += 100) {
    const success = Array.from(
      { length: 100 },
      (_, j) =>
        ({
          op: { case: "put", value: { key: utf8.encode(bigKey(start + j)), value: bigValue(start + j) } },
        }) as RequestOp,
    );
    await kv.txn({ success }, { timeoutMs: 10_000 });
  }
  return {
    node,
    endpoint: node.endpoint,
    stop: async () => {
      await node.kill();
      removeDir(root);
    },
  };
}
