import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Client } from "@connectrpc/connect";
import type { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { testConfig } from "../support/test-node.ts";
import { kvClient, WatchReader } from "./watch-reader.ts";

const utf8 = new TextEncoder();
const retention = 20;
let dir: string;
let node: RaftkvNode;
let client: Client<typeof KV>;

beforeAll(async () => {
  dir = tempDir("watch-limits");
  node = await RaftkvNode.start(
    {
      ...testConfig(dir),
      historyRetentionEntries: retention,
      historyCompactionCheckMs: 100,
      watchQueueLimits: { maxPendingEvents: 50 },
    },
    Logger.silent(),
  );
  client = kvClient(`127.0.0.1:${node.clientPort}`);
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

async function put(key: string, value: string | Uint8Array): Promise<number> {
  return Number((await client.put({ key: utf8.encode(key), value: typeof value === "string" ? utf8.encode(value) : value })).index);
}

test("the leader compacts history beyond the retention window; a watch before it is told the oldest index", async () => {
  const writes: number[] = [];
  for (let i = 0; i < 3 * retention; i++) writes.push(await put(`auto/${i}`, `v${i}`));
  const last = writes.at(-1) ?? 0;
  const oldest = await eventually(
    "history compacted to the window",
    async () => {
      const reader = new WatchReader(client, { key: utf8.encode("auto/"), prefix: true, startIndex: 1n });
      try {
        const answer = (await reader.until((m) => m.kind.case !== "created", 5000)).at(-1);
        // Settled: a compaction proposed after the last write (earlier ones are followed by another).
        const compactIndex = answer?.kind.case === "compacted" ? Number(answer.kind.value.compactIndex) : 0;
        return compactIndex >= last - retention + 1 ? compactIndex : undefined;
      } finally {
        reader.cancel();
      }
    },
    20_000,
  );
  // The window is kept (the compact entries themselves take an index or two).
  expect(oldest).toBeLessThanOrEqual(last - retention + 2);
  const kept = writes.filter((index) => index >= oldest);
  const reader = new WatchReader(client, { key: utf8.encode("auto/"), prefix: true, startIndex: BigInt(oldest) });
  expect((await reader.next())?.kind.case).toBe("created");
  expect((await reader.events(kept.length)).map((e) => Number(e.split("@")[1]))).toEqual(kept);
  reader.cancel();
}, 60_000);

test("a watcher that stops reading is cut off with the backlog as the reason, and the node keeps serving", async () => {
  const stalled = new WatchReader(client, { key: utf8.encode("slow/"), prefix: true });
  expect((await stalled.next())?.kind.case).toBe("created");
  await eventually("only the stalled watch is open", async () => (node.watchHub.size === 1 ? true : undefined), 20_000);
  // The client reads nothing more: HTTP/2 flow control fills up, then the node-side queue passes its limit.
  const value = new Uint8Array(16 * 1024).fill(120);
  let writes = 0;
  while (node.watchHub.size > 0 && writes < 2000) {
    await Promise.all(Array.from({ length: 10 }, () => put(`slow/${writes++}`, value)));
  }
  expect(node.watchHub.size).toBe(0);
  const reasons: string[] = [];
  for (;;) {
    const message = await stalled.next();
    if (message === undefined) break;
    if (message.kind.case === "canceled") reasons.push(message.kind.value.reason);
  }
  expect(reasons).toHaveLength(1);
  expect(reasons[0]).toMatch(/^slow consumer: \d+ events pending, limit 50$/);
  expect(await put("after", "still serving")).toBeGreaterThan(0);
}, 60_000);

test("shutting the node down ends open watches with WatchCanceled", async () => {
  const reader = new WatchReader(client, { key: utf8.encode("bye") });
  expect((await reader.next())?.kind.case).toBe("created");
  const closing = node.close();
  const last = await reader.next();
  expect(last?.kind).toEqual({ case: "canceled", value: expect.objectContaining({ reason: "server is shutting down" }) });
  await closing;
}, 30_000);
