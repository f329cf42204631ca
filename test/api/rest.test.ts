import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

let node: RaftkvNode;
let dir: string;
let base: string;

beforeAll(async () => {
  dir = tempDir("rest");
  const started = await startTestNode(dir);
  node = started.node;
  base = `http://${started.endpoint}`;
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

interface ListBody {
  kvs: Array<{ key: string; key_encoding: string; value?: string; value_encoding?: string; version: number }>;
  more: boolean;
  next_key: { encoding: string; data: string } | null;
  count: number;
  header: { index: number; leader_id: string };
}

test("PUT, GET and DELETE a key with the raw value as the body", async () => {
  const put = await fetch(`${base}/v1/kv/hello`, { method: "PUT", body: "world" });
  expect(put.status).toBe(200);
  const putBody = (await put.json()) as { index: number };
  expect(putBody.index).toBeGreaterThan(0);

  const get = await fetch(`${base}/v1/kv/hello`);
  expect(get.status).toBe(200);
  expect(await get.text()).toBe("world");
  expect(get.headers.get("x-raftkv-mod-index")).toBe(String(putBody.index));
  expect(Number(get.headers.get("x-raftkv-index"))).toBeGreaterThanOrEqual(putBody.index);

  const del = await fetch(`${base}/v1/kv/hello`, { method: "DELETE" });
  expect(del.status).toBe(200);
  expect(((await del.json()) as { deleted: number }).deleted).toBe(1);
  const gone = await fetch(`${base}/v1/kv/hello`);
  expect(gone.status).toBe(404);
  await gone.text();
});

test("keys with slashes, encoded or not, and non-UTF-8 bytes", async () => {
  await fetch(`${base}/v1/kv/a%2Fb%2Fc`, { method: "PUT", body: "encoded" });
  expect(await (await fetch(`${base}/v1/kv/a/b/c`)).text()).toBe("encoded");
  await fetch(`${base}/v1/kv/x/y`, { method: "PUT", body: "raw" });
  expect(await (await fetch(`${base}/v1/kv/x%2Fy`)).text()).toBe("raw");
  await fetch(`${base}/v1/kv/bin%FF%00`, { method: "PUT", body: new Uint8Array([1, 2, 255]) });
  const bin = await fetch(`${base}/v1/kv/bin%ff%00`);
  expect(Array.from(new Uint8Array(await bin.arrayBuffer()))).toEqual([1, 2, 255]);

  const list = (await (await fetch(`${base}/v1/kv/?prefix=bin`)).json()) as ListBody;
  expect(list.kvs.length).toBe(1);
  expect(list.kvs[0]?.key_encoding).toBe("base64");
  expect(Buffer.from(list.kvs[0]?.key ?? "", "base64")).toEqual(Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x00]));
  expect(list.kvs[0]?.value_encoding).toBe("base64");
});

test("listing by prefix pages with limit and next_key, text where UTF-8", async () => {
  for (const k of ["p/1", "p/2", "p/3"]) await fetch(`${base}/v1/kv/${encodeURIComponent(k)}`, { method: "PUT", body: `v${k}` });
  const first = (await (await fetch(`${base}/v1/kv/?prefix=p/&limit=2`)).json()) as ListBody;
  expect(first.kvs.map((k) => k.key)).toEqual(["p/1", "p/2"]);
  expect(first.kvs[0]?.value).toBe("vp/1");
  expect(first.kvs[0]?.value_encoding).toBe("utf8");
  expect(first.more).toBe(true);
  expect(first.count).toBe(3);
  const next = (await (await fetch(`${base}/v1/kv/?prefix=p/&limit=2&start=${encodeURIComponent(first.next_key?.data ?? "")}`)).json()) as ListBody;
  expect(next.kvs.map((k) => k.key)).toEqual(["p/3"]);
  expect(next.more).toBe(false);
  const stale = await fetch(`${base}/v1/kv/p%2F1?consistency=stale`);
  expect(await stale.text()).toBe("vp/1");
});

test("REST errors are JSON with a Connect code and the field", async () => {
  const badLevel = await fetch(`${base}/v1/kv/k?consistency=eventual`);
  expect(badLevel.status).toBe(400);
  const body = (await badLevel.json()) as { code: string; message: string };
  expect(body.code).toBe("invalid_argument");
  expect(body.message).toContain("consistency");

  const badLimit = await fetch(`${base}/v1/kv/?limit=-3`);
  expect(badLimit.status).toBe(400);
  await badLimit.text();

  const patch = await fetch(`${base}/v1/kv/k`, { method: "PATCH", body: "x" });
  expect(patch.status).toBeGreaterThanOrEqual(400);
  await patch.text();
});

test("healthz answers 200 while serving", async () => {
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(200);
  await res.text();
});
