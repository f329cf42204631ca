import { afterEach, expect, test } from "bun:test";
import { spawn, type Subprocess } from "bun";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { removeDir, tempDir } from "../support/test-node.ts";

// Real processes of the project's entry point with real files: what survives
// a graceful stop and what survives kill -9.
const entry = join(import.meta.dir, "../../src/cli/main.ts");
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const started: Subprocess[] = [];
const dirs: string[] = [];

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

async function startProcess(dataDir: string, port: number): Promise<Subprocess> {
  const child = spawn([process.execPath, entry, "serve", "--data-dir", dataDir, "--listen", `127.0.0.1:${port}`, "--raft-listen", "127.0.0.1:0", "--log-level", "error"], {
    stdout: "ignore",
    stderr: "inherit",
  });
  started.push(child);
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      await res.text();
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`node on port ${port} did not become healthy`);
}

afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) removeDir(dir);
});

test("data survives a graceful restart (SIGTERM)", async () => {
  const dir = tempDir("restart");
  dirs.push(dir);
  const port = await freePort();
  const first = await startProcess(dir, port);
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const put = await kv.put({ key: text("durable"), value: text("yes") });
  first.kill("SIGTERM");
  expect(await first.exited).toBe(0);

  await startProcess(dir, port);
  const kv2 = createClient(KV, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const got = await kv2.get({ key: text("durable") });
  expect(got.found).toBe(true);
  expect(new TextDecoder().decode(got.kv?.value)).toBe("yes");
  expect(got.kv?.modIndex).toBe(put.index);
}, 30_000);

test("every acknowledged write survives kill -9 under load", async () => {
  const dir = tempDir("kill9");
  dirs.push(dir);
  const port = await freePort();
  const child = await startProcess(dir, port);
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
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
  child.kill("SIGKILL");
  stop = true;
  await Promise.all(writers);
  await child.exited;
  expect(acknowledged.size).toBeGreaterThan(50);

  await startProcess(dir, port);
  const kv2 = createClient(KV, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const lost: string[] = [];
  for (const [key, index] of acknowledged) {
    const got = await kv2.get({ key: text(key) });
    if (!got.found || got.kv?.modIndex !== index || new TextDecoder().decode(got.kv.value) !== `value-${key}`) lost.push(key);
  }
  expect(lost).toEqual([]);
}, 60_000);
