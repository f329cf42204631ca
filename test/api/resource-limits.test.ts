import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Lease } from "../../src/gen/raftkv/v1/lease_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, startTestNode, tempDir } from "../support/test-node.ts";
import { kvClient, WatchReader } from "../watch/watch-reader.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
let dir: string;
let node: RaftkvNode;
let endpoint: string;
let kv: Client<typeof KV>;

beforeAll(async () => {
  dir = tempDir("resource-limits");
  const started = await startTestNode(dir, {
    maxTxnReadKeys: 100,
    maxResponseBytes: 1000,
    maxWatches: 3,
    maxWatchesPerConnection: 2,
    maxLeases: 2,
  });
  node = started.node;
  endpoint = started.endpoint;
  kv = kvClient(endpoint);
  // 20 keys of 100-byte values: 1000 bytes of answer hold 9 of them.
  for (let i = 0; i < 20; i++) await kv.put({ key: utf8.encode(`r/${String(i).padStart(2, "0")}`), value: new Uint8Array(100).fill(65) });
}, 30_000);

afterAll(async () => {
  await node.close();
  removeDir(dir);
}, 30_000);

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => ConnectError.from(error),
  );
  if (outcome === undefined) throw new Error("the call succeeded; expected it to be refused");
  return outcome;
}

const rangeOp = (limit: number) => ({ op: { case: "range" as const, value: { prefix: utf8.encode("r/"), limit } } });

describe("Txn", () => {
  test("reads that may return more keys than --max-txn-read-keys: RESOURCE_EXHAUSTED naming the limit, and nothing of it runs", async () => {
    const error = await failure(
      kv.txn({ success: [{ op: { case: "put", value: { key: utf8.encode("txn-put"), value: utf8.encode("x") } } }, rangeOp(60), rangeOp(60)] }),
    );
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/^success: its reads may return 120 keys .* over the limit of 100 keys per transaction \(--max-txn-read-keys\)/);
    expect((await kv.get({ key: utf8.encode("txn-put") })).found).toBe(false);
    // A range without a limit counts as the default page size (1000).
    expect((await failure(kv.txn({ failure: [rangeOp(0)] }))).rawMessage).toMatch(/^failure: its reads may return 1000 keys/);
  });

  test("within the limit, the reads share --max-response-bytes: pages end early with more and next_key", async () => {
    const answer = await kv.txn({ success: [rangeOp(50), rangeOp(50)] });
    const [first, second] = answer.responses.map((r) => (r.op.case === "range" ? r.op.value : undefined));
    expect(first?.kvs.length).toBe(9);
    expect(first?.more).toBe(true);
    expect(fromUtf8.decode(first?.nextKey)).toBe("r/09");
    expect(second?.kvs.length).toBe(1);
    expect(second?.more).toBe(true);
  });
});

describe("Range", () => {
  test("a page holds at most --max-response-bytes of keys and values; next_key pages through all of it", async () => {
    const keys: string[] = [];
    let start: Uint8Array = new Uint8Array();
    for (let pages = 1; ; pages++) {
      const page = await kv.range({ prefix: utf8.encode("r/"), start, limit: 10_000 });
      expect(page.kvs.length).toBeLessThanOrEqual(9);
      expect(Number(page.count)).toBe(page.more ? 20 - keys.length : page.kvs.length);
      keys.push(...page.kvs.map((k) => fromUtf8.decode(k.key)));
      if (!page.more) break;
      start = page.nextKey;
      expect(pages).toBeLessThan(10);
    }
    expect(keys).toEqual(Array.from({ length: 20 }, (_, i) => `r/${String(i).padStart(2, "0")}`));
  });

  test("REST lists page the same way", async () => {
    const response = await fetch(`http://${endpoint}/v1/kv/?prefix=r/&limit=10000`);
    const body = (await response.json()) as { kvs: unknown[]; more: boolean; next_key: { data: string } };
    expect(body.kvs.length).toBe(9);
    expect(body.more).toBe(true);
    expect(body.next_key.data).toBe("r/09");
  });
});

describe("Watch", () => {
  test("open watches are bounded per connection and per node, naming the flag; a closed watch frees its slot", async () => {
    const first = kvClient(endpoint);
    const second = kvClient(endpoint);
    const open = async (client: Client<typeof KV>): Promise<WatchReader> => {
      const reader = new WatchReader(client, { key: utf8.encode("w/"), prefix: true });
      const created = await reader.next(5000);
      if (created?.kind.case !== "created") throw new Error(`expected WatchCreated, got ${created?.kind.case}`);
      return reader;
    };
    const refused = async (client: Client<typeof KV>): Promise<ConnectError> => {
      const reader = new WatchReader(client, { key: utf8.encode("w/"), prefix: true });
      return failure(reader.next(5000));
    };
    const a1 = await open(first);
    const a2 = await open(first);
    const perConnection = await refused(first);
    expect(perConnection.code).toBe(Code.ResourceExhausted);
    expect(perConnection.rawMessage).toMatch(/this connection holds 2 open watches, the limit per connection \(--max-watches-per-connection 2\)/);
    const b1 = await open(second);
    const perNode = await refused(second);
    expect(perNode.code).toBe(Code.ResourceExhausted);
    expect(perNode.rawMessage).toMatch(/this node holds 3 open watches, its limit \(--max-watches 3\)/);
    // A REST blocking query holds a watch too: refused the same way, as 429.
    const blocking = await fetch(`http://${endpoint}/v1/kv/r%2F00?index=100000&wait=1s`);
    expect(blocking.status).toBe(429);
    expect(((await blocking.json()) as { message: string }).message).toMatch(/--max-watches 3/);
    a1.cancel();
    await eventually("the cancelled watch left the node", async () => (node.watchHub.size === 2 ? true : undefined), 10_000);
    const b2 = await open(second);
    for (const reader of [a2, b1, b2]) reader.cancel();
    await eventually("no watch left", async () => (node.watchHub.size === 0 ? true : undefined), 10_000);
  }, 30_000);
});

describe("Lease", () => {
  test("past --max-leases a grant is RESOURCE_EXHAUSTED naming the limit; a revoke makes room", async () => {
    const leases = createClient(Lease, createGrpcTransport({ baseUrl: `http://${endpoint}` }));
    const a = await leases.leaseGrant({ ttlSeconds: 60n });
    await leases.leaseGrant({ ttlSeconds: 60n });
    const error = await failure(leases.leaseGrant({ ttlSeconds: 60n }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/^lease: the cluster holds 2 leases, the limit is 2 \(--max-leases\)/);
    await leases.leaseRevoke({ id: a.id });
    expect((await leases.leaseGrant({ ttlSeconds: 60n })).id).toBeGreaterThan(0n);
  });
});
