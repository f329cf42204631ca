import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { KV, type WatchResponse } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { testConfig } from "../support/test-node.ts";
import { describeEvents, kvClient, WatchReader } from "./watch-reader.ts";

const utf8 = new TextEncoder();
let dir: string;
let node: RaftkvNode;
let client: Client<typeof KV>;
let endpoint: string;

beforeAll(async () => {
  dir = tempDir("watch-api");
  node = await RaftkvNode.start(testConfig(dir), Logger.silent());
  endpoint = `127.0.0.1:${node.clientPort}`;
  client = kvClient(endpoint);
}, 30_000);

afterAll(async () => {
  await node.close();
  removeDir(dir);
}, 30_000);

async function put(key: string, value: string): Promise<number> {
  return Number((await client.put({ key: utf8.encode(key), value: utf8.encode(value) })).index);
}

/** Cancelled watches leave the hub once the server sees the stream reset. */
async function noWatchesLeft(): Promise<void> {
  await eventually("no watch left open on the node", async () => (node.watchHub.size === 0 ? true : undefined), 20_000);
}

function kindOf(message: WatchResponse | undefined): string | undefined {
  return message?.kind.case;
}

async function created(reader: WatchReader): Promise<{ watchId: string; startIndex: number }> {
  const first = await reader.next();
  if (first?.kind.case !== "created") throw new Error(`expected WatchCreated first, got ${kindOf(first)}`);
  expect(first.header?.memberId).toBe("test1");
  return { watchId: first.kind.value.watchId, startIndex: Number(first.kind.value.startIndex) };
}

test("a watch from index 1 replays the whole history of its prefix, then continues live", async () => {
  const indexes: number[] = [];
  for (let i = 0; i < 10; i++) indexes.push(await put(`h/${i}`, `v${i}`));
  await put("elsewhere", "x");
  const reader = new WatchReader(client, { key: utf8.encode("h/"), prefix: true, startIndex: 1n });
  expect((await created(reader)).startIndex).toBe(1);
  expect(await reader.events(10)).toEqual(indexes.map((index, i) => `put:h/${i}=v${i}@${index}`));
  const live = await put("h/live", "now");
  expect(await reader.events(1)).toEqual([`put:h/live=now@${live}`]);
  reader.cancel();
}, 30_000);

test("a prefix watch sees exactly the acknowledged writes under its prefix, in index order, while 4 writers write", async () => {
  const live = new WatchReader(client, { key: utf8.encode("c/"), prefix: true, progressIntervalMs: 60_000 });
  const { startIndex } = await created(live);
  const acknowledged: number[] = [];
  let joining: WatchReader | undefined;
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; n < 30; n++) {
      acknowledged.push(await put(`c/${w}/${n}`, `${w}.${n}`));
      await put(`d/${w}/${n}`, "outside");
      // A second watch joins mid-way, replaying from the first watch's start while writes go on.
      if (w === 0 && n === 10) joining = new WatchReader(client, { key: utf8.encode("c/"), prefix: true, startIndex: BigInt(startIndex) });
    }
  };
  await Promise.all([0, 1, 2, 3].map(writer));
  const expected = [...acknowledged].sort((a, b) => a - b);
  const indexesOf = (events: string[]) => events.map((e) => Number(e.split("@")[1]));
  expect(indexesOf(await live.events(expected.length))).toEqual(expected);
  if (joining === undefined) throw new Error("the joining watch never started");
  await created(joining);
  expect(indexesOf(await joining.events(expected.length))).toEqual(expected);
  // Nothing beyond them: the next message after a requested progress is that progress.
  for (const reader of [live, joining]) reader.cancel();
}, 30_000);

test("resuming from the last seen index + 1 after a disconnect gives exactly the rest, and the server forgets the cancelled watch", async () => {
  await noWatchesLeft();
  const indexes: number[] = [];
  for (let i = 0; i < 10; i++) indexes.push(await put(`r/${i}`, `v${i}`));
  const first = new WatchReader(client, { key: utf8.encode("r/"), prefix: true, startIndex: BigInt(indexes[0] ?? 1) });
  await created(first);
  // One message may carry more; this client stops after the first four.
  const seen = (await first.events(4)).slice(0, 4);
  expect(node.watchHub.size).toBe(1);
  first.cancel();
  await noWatchesLeft();

  const last = Number(seen.at(-1)?.split("@")[1]);
  const second = new WatchReader(client, { key: utf8.encode("r/"), prefix: true, startIndex: BigInt(last + 1), progressIntervalMs: 60_000 });
  const { watchId } = await created(second);
  const rest = await second.events(6);
  expect([...seen, ...rest]).toEqual(indexes.map((index, i) => `put:r/${i}=v${i}@${index}`));
  await client.requestProgress({ watchId });
  const after = await second.until((m) => m.kind.case === "progress");
  expect(after.map(kindOf)).toEqual(["progress"]);
  second.cancel();
}, 30_000);

test("progress notifications arrive when idle and on request, with the applied index", async () => {
  const idle = new WatchReader(client, { key: utf8.encode("quiet"), progressIntervalMs: 200 });
  await created(idle);
  const applied = await put("noise", "x");
  const progress = await idle.next();
  expect(progress?.kind.case).toBe("progress");
  expect(progress?.kind.case === "progress" ? Number(progress.kind.value.index) : 0).toBeGreaterThanOrEqual(applied);
  idle.cancel();

  const asked = new WatchReader(client, { key: utf8.encode("quiet"), progressIntervalMs: 60_000 });
  const { watchId } = await created(asked);
  const answer = await client.requestProgress({ watchId });
  const requested = await asked.next();
  expect(requested?.kind.case).toBe("progress");
  expect(requested?.kind.case === "progress" ? requested.kind.value.index : -1n).toBe(answer.header?.index ?? 0n);
  asked.cancel();
  const unknown = await client.requestProgress({ watchId: "no-such-watch" }).then(
    () => "accepted",
    (error: unknown) => String(error),
  );
  expect(unknown).toContain("no open watch");
}, 30_000);

test("prev_kv brings each event's previous value; a delete is an event too", async () => {
  await put("pk", "one");
  const reader = new WatchReader(client, { key: utf8.encode("pk"), prevKv: true });
  await created(reader);
  const second = await put("pk", "two");
  const deleted = Number((await client.delete({ key: utf8.encode("pk") })).index);
  const messages = await reader.until((m) => describeEvents(m).some((e) => e.startsWith("delete")));
  const events = messages.flatMap((m) => (m.kind.case === "events" ? m.kind.value.events : []));
  const text = new TextDecoder();
  expect(events.map((e) => [Number(e.kv?.modIndex), text.decode(e.kv?.value), text.decode(e.prevKv?.value)])).toEqual([
    [second, "two", "one"],
    [deleted, "", "two"],
  ]);
  reader.cancel();
}, 30_000);

test("a blocking GET returns when the key changes after the index, and at the timeout otherwise", async () => {
  const base = `http://${endpoint}/v1/kv/bq`;
  const index = await put("bq", "first");
  const waiting = fetch(`${base}?index=${index}&wait=20s`);
  await eventually("the blocking query waits on the hub", async () => (node.watchHub.size > 0 ? true : undefined));
  const changed = await put("bq", "second");
  const answer = await waiting;
  expect(answer.status).toBe(200);
  expect(await answer.text()).toBe("second");
  expect(Number(answer.headers.get("x-raftkv-mod-index"))).toBe(changed);
  expect(Number(answer.headers.get("x-raftkv-index"))).toBeGreaterThanOrEqual(changed);

  // Already past the index: answered at once.
  const immediate = await fetch(`${base}?index=${index}&wait=10m`);
  expect(await immediate.text()).toBe("second");

  // No change: the answer comes at the timeout, unchanged.
  const timedOut = await fetch(`${base}?index=${changed}&wait=300ms`);
  expect(timedOut.status).toBe(200);
  expect(await timedOut.text()).toBe("second");
  expect(Number(timedOut.headers.get("x-raftkv-mod-index"))).toBe(changed);

  // A delete after the index wakes it too.
  const waitingDelete = fetch(`${base}?index=${changed}&wait=20s`);
  await Bun.sleep(50);
  await client.delete({ key: utf8.encode("bq") });
  expect((await waitingDelete).status).toBe(404);

  // A client that hangs up while waiting leaves nothing behind.
  const hangUp = new AbortController();
  const abandonedQuery = fetch(`${base}?index=${changed + 1000}&wait=5m`, { signal: hangUp.signal }).catch(() => "aborted");
  await eventually("the blocking query waits", async () => (node.watchHub.size > 0 ? true : undefined));
  hangUp.abort();
  expect(await abandonedQuery).toBe("aborted");
  await noWatchesLeft();

  const bad = await fetch(`${base}?index=x`);
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain("index");
  await eventually("blocking queries leave the hub", async () => (node.watchHub.size === 0 ? true : undefined));
}, 30_000);

test("Watch streams over Connect JSON on HTTP/1.1 too (streaming calls never take the unary gRPC fast path)", async () => {
  const json = createClient(KV, createConnectTransport({ baseUrl: `http://${endpoint}`, httpVersion: "1.1", useBinaryFormat: false }));
  const reader = new WatchReader(json, { key: utf8.encode("json/"), prefix: true });
  await created(reader);
  const index = await put("json/a", "1");
  expect(await reader.events(1)).toEqual([`put:json/a=1@${index}`]);
  reader.cancel();
  await noWatchesLeft();
}, 30_000);

test("after Compact, a watch from before the compact index gets WatchCompacted naming it, then the stream ends", async () => {
  for (let i = 0; i < 5; i++) await put(`k/${i}`, "v");
  const target = await put("k/last", "v");
  const compacted = await client.compact({ index: BigInt(target) });
  expect(Number(compacted.compactIndex)).toBe(target);
  const reader = new WatchReader(client, { key: utf8.encode("k/"), prefix: true, startIndex: 1n });
  await created(reader);
  const answer = await reader.next();
  expect(answer?.kind).toEqual({ case: "compacted", value: expect.objectContaining({ compactIndex: BigInt(target) }) });
  expect(await reader.next()).toBeUndefined();
  const fromWindow = new WatchReader(client, { key: utf8.encode("k/"), prefix: true, startIndex: BigInt(target) });
  await created(fromWindow);
  expect(await fromWindow.events(1)).toEqual([`put:k/last=v@${target}`]);
  fromWindow.cancel();
}, 30_000);
