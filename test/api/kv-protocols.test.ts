import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Consistency, KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

let node: RaftkvNode;
let dir: string;
let baseUrl: string;

beforeAll(async () => {
  dir = tempDir("protocols");
  const started = await startTestNode(dir);
  node = started.node;
  baseUrl = `http://${started.endpoint}`;
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

const transports: ReadonlyArray<readonly [string, () => Transport]> = [
  ["gRPC (h2c)", () => createGrpcTransport({ baseUrl })],
  ["gRPC-Web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ["gRPC-Web over h2c", () => createGrpcWebTransport({ baseUrl, httpVersion: "2" })],
  ["Connect binary over HTTP/1.1", () => createConnectTransport({ baseUrl, httpVersion: "1.1" })],
  ["Connect binary over h2c", () => createConnectTransport({ baseUrl, httpVersion: "2" })],
  ["Connect JSON over HTTP/1.1", () => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false })],
  ["Connect JSON over h2c", () => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false })],
];

describe.each(transports)("KV over %s", (name, makeTransport) => {
  const prefix = `${name.replace(/\W+/g, "-")}/`;

  test("put, get, range, delete round trip with metadata and headers", async () => {
    const kv = createClient(KV, makeTransport());
    const first = await kv.put({ key: text(`${prefix}a`), value: text("one") });
    expect(first.index).toBeGreaterThan(0n);
    expect(first.header?.index).toBeGreaterThanOrEqual(first.index);
    expect(first.header?.leaderId).toBe("test1");
    expect(first.header?.term).toBeGreaterThan(0n);

    const second = await kv.put({ key: text(`${prefix}a`), value: text("two"), prevKv: true });
    expect(second.index).toBeGreaterThan(first.index);
    expect(str(second.prevKv?.value ?? new Uint8Array())).toBe("one");
    await kv.put({ key: text(`${prefix}b`), value: new Uint8Array([0, 255, 1]) });

    const got = await kv.get({ key: text(`${prefix}a`) });
    expect(got.found).toBe(true);
    expect(str(got.kv?.value ?? new Uint8Array())).toBe("two");
    expect(got.kv?.createIndex).toBe(first.index);
    expect(got.kv?.modIndex).toBe(second.index);
    expect(got.kv?.version).toBe(2n);
    expect(got.header?.index).toBeGreaterThanOrEqual(second.index);

    const stale = await kv.get({ key: text(`${prefix}b`), consistency: Consistency.STALE });
    expect(Array.from(stale.kv?.value ?? [])).toEqual([0, 255, 1]);

    const missing = await kv.get({ key: text(`${prefix}nope`) });
    expect(missing.found).toBe(false);
    expect(missing.kv).toBeUndefined();

    const all = await kv.range({ prefix: text(prefix) });
    expect(all.kvs.map((k) => str(k.key))).toEqual([`${prefix}a`, `${prefix}b`]);
    expect(all.count).toBe(2n);
    expect(all.more).toBe(false);

    const page = await kv.range({ prefix: text(prefix), limit: 1, keysOnly: true });
    expect(page.kvs.length).toBe(1);
    expect(page.kvs[0]?.value.length).toBe(0);
    expect(page.more).toBe(true);
    const next = await kv.range({ prefix: text(prefix), start: page.nextKey, limit: 1 });
    expect(next.kvs.map((k) => str(k.key))).toEqual([`${prefix}b`]);
    expect(next.more).toBe(false);

    const deleted = await kv.delete({ key: text(`${prefix}a`), prevKv: true });
    expect(deleted.deleted).toBe(1n);
    expect(str(deleted.prevKvs[0]?.value ?? new Uint8Array())).toBe("two");
    expect((await kv.get({ key: text(`${prefix}a`) })).found).toBe(false);
    const again = await kv.delete({ key: text(`${prefix}a`) });
    expect(again.deleted).toBe(0n);
  });

  test("an empty key is INVALID_ARGUMENT naming the field", async () => {
    const kv = createClient(KV, makeTransport());
    const error = await kv.put({ key: new Uint8Array(0), value: text("x") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toContain("key");
  });
});

test("range over [start, end) without a prefix, and delete of a range", async () => {
  const kv = createClient(KV, createGrpcTransport({ baseUrl }));
  for (const k of ["r/1", "r/2", "r/3", "r/4"]) await kv.put({ key: text(k), value: text(k) });
  const middle = await kv.range({ start: text("r/2"), end: text("r/4") });
  expect(middle.kvs.map((k) => str(k.key))).toEqual(["r/2", "r/3"]);
  const counted = await kv.range({ prefix: text("r/"), countOnly: true });
  expect(counted.count).toBe(4n);
  expect(counted.kvs.length).toBe(0);
  const removed = await kv.delete({ key: text("r/1"), rangeEnd: text("r/3") });
  expect(removed.deleted).toBe(2n);
  const left = await kv.range({ prefix: text("r/") });
  expect(left.kvs.map((k) => str(k.key))).toEqual(["r/3", "r/4"]);
});
