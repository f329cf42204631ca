import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

let node: RaftkvNode;
let dir: string;
let base: string;

beforeAll(async () => {
  dir = tempDir("kv-txn-rest-cas");
  const started = await startTestNode(dir);
  node = started.node;
  base = `http://${started.endpoint}`;
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

async function casPut(key: string, cas: string, value: string): Promise<{ status: number; body: unknown; index: string | null }> {
  const response = await fetch(`${base}/v1/kv/${key}?cas=${cas}`, { method: "PUT", body: value });
  return { status: response.status, body: await response.json(), index: response.headers.get("x-raftkv-index") };
}

async function read(key: string): Promise<{ value: string; modIndex: string | null }> {
  const response = await fetch(`${base}/v1/kv/${key}`);
  return { value: await response.text(), modIndex: response.headers.get("x-raftkv-mod-index") };
}

test("cas=0 creates only when the key is absent", async () => {
  const created = await casPut("cas-create", "0", "first");
  expect(created).toMatchObject({ status: 200, body: true });
  expect(Number(created.index)).toBeGreaterThan(0);
  const again = await casPut("cas-create", "0", "second");
  expect(again).toMatchObject({ status: 200, body: false });
  expect((await read("cas-create")).value).toBe("first");
});

test("cas=<mod index> updates only from that index; the answer's index header is the new mod index", async () => {
  await casPut("cas-update", "0", "v1");
  const seen = await read("cas-update");
  const updated = await casPut("cas-update", String(seen.modIndex), "v2");
  expect(updated).toMatchObject({ status: 200, body: true });
  const after = await read("cas-update");
  expect(after).toEqual({ value: "v2", modIndex: updated.index });
  // The index read before the update is stale now.
  expect(await casPut("cas-update", String(seen.modIndex), "v3")).toMatchObject({ status: 200, body: false });
  expect((await read("cas-update")).value).toBe("v2");
  // A plain PUT (no cas) still answers as before.
  const plain = await fetch(`${base}/v1/kv/cas-update`, { method: "PUT", body: "v4" });
  expect(((await plain.json()) as { index: number }).index).toBeGreaterThan(Number(updated.index));
});

test("a malformed cas is a 400 naming the parameter, and writes nothing", async () => {
  const before = node.engine.stateMachine.appliedIndex();
  for (const bad of ["-1", "abc", "1.5", "99999999999999999999999"]) {
    const response = await fetch(`${base}/v1/kv/cas-bad?cas=${bad}`, { method: "PUT", body: "x" });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("cas");
  }
  expect(node.engine.stateMachine.appliedIndex()).toBe(before);
  expect((await fetch(`${base}/v1/kv/cas-bad`)).status).toBe(404);
});
