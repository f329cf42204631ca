import { afterEach, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

// Real processes of the project's entry point with real files: what survives
// a graceful stop and what survives kill -9.
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const started: ServeProcess[] = [];
const dirs: string[] = [];

/** A single node (the default id) on a data dir; restarts keep its client port. */
function singleNode(dataDir: string, extraArgs: readonly string[] = []): ServeProcess {
  const node = new ServeProcess({ id: "node1", dataDir, flags: ["--raft-listen", "127.0.0.1:0", ...extraArgs] });
  started.push(node);
  return node;
}

afterEach(async () => {
  for (const node of started.splice(0)) await node.kill();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

test("data survives a graceful restart (SIGTERM)", async () => {
  const dir = tempDir("restart");
  dirs.push(dir);
  const node = singleNode(dir);
  await node.start();
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const put = await kv.put({ key: text("durable"), value: text("yes") });
  expect(await node.terminate()).toBe(0);

  await node.start();
  const kv2 = createClient(KV, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const got = await kv2.get({ key: text("durable") });
  expect(got.found).toBe(true);
  expect(new TextDecoder().decode(got.kv?.value)).toBe("yes");
  expect(got.kv?.modIndex).toBe(put.index);
}, 30_000);

test("every acknowledged write survives kill -9 under load", async () => {
  const dir = tempDir("kill9");
  dirs.push(dir);
  const node = singleNode(dir);
  await node.start();
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const acknowledged = new Map<string, bigint>();
  let stop = false;
  const writers = Array.from({ length: 16 }, async (_, w) => {
    for (let i = 0; !stop && i < 5000; i++) {
      const key = `w${w}/${i}`;
      try {
        const answer = await kv.put({ key: text(key), value: text(`value-${key}`) });
        acknowledged.set(key, answer.index);
      } catch {
        return;
      }
    }
  });
  await Bun.sleep(700);
  const killed = node.kill();
  stop = true;
  await Promise.all(writers);
  await killed;
  expect(acknowledged.size).toBeGreaterThan(50);

  await node.start();
  const kv2 = createClient(KV, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const lost: string[] = [];
  for (const [key, index] of acknowledged) {
    const got = await kv2.get({ key: text(key) });
    if (!got.found || got.kv?.modIndex !== index || new TextDecoder().decode(got.kv.value) !== `value-${key}`) lost.push(key);
  }
  expect(lost).toEqual([]);
}, 60_000);

test("snapshot flags: snapshots are taken and retained as asked, the log is compacted, and a restart serves everything", async () => {
  const dir = tempDir("snapflags");
  dirs.push(dir);
  const flags = ["--snapshot-threshold", "20", "--trailing-logs", "5", "--snapshots-retained", "2", "--snapshot-interval", "200ms"];
  const node = singleNode(dir, flags);
  await node.start();
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const acknowledged = new Map<string, bigint>();
  for (let i = 0; i < 150; i++) {
    const answer = await kv.put({ key: text(`s/${i}`), value: text(`v${i}`) });
    acknowledged.set(`s/${i}`, answer.index);
  }
  const snapshotFiles = (): string[] => readdirSync(join(dir, "snapshots")).filter((f) => f.endsWith(".snap"));
  await eventually("a snapshot file", () => snapshotFiles().length > 0, 5000);
  // Snapshots are taken on ticks: give the last one time to finish before stopping.
  await Bun.sleep(500);
  expect(await node.terminate()).toBe(0);
  expect(snapshotFiles().length).toBeGreaterThanOrEqual(1);
  expect(snapshotFiles().length).toBeLessThanOrEqual(2);
  const log = RaftLogStore.open(join(dir, "raft.db"));
  const compacted = log.compactedIndex();
  log.close();
  expect(compacted).toBeGreaterThan(0);

  await node.start();
  const kv2 = createClient(KV, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const page = await kv2.range({ prefix: text("s/"), limit: 1000 });
  expect(page.kvs.length).toBe(150);
  for (const item of page.kvs) {
    const key = new TextDecoder().decode(item.key);
    expect(item.modIndex).toBe(acknowledged.get(key) ?? -1n);
  }
}, 60_000);
