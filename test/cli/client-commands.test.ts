import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RaftkvClient } from "../../src/client/raftkv-client.ts";
import { nodeTransportFactory } from "../../src/client/transport-for.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { freePort } from "../support/free-port.ts";
import { type CliResult, runCli } from "../support/run-cli.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

let dir = "";
let node: RaftkvNode | undefined;
let endpoints = "";
let liveEndpoint = "";

/** Runs `raftkv <args>` (the dev entry point) against the test node; a dead endpoint first, so every command fails over. */
async function raftkv(args: readonly string[], stdin?: string, endpointList = endpoints): Promise<CliResult> {
  return runCli([...args, "--endpoints", endpointList], { stdin, env: { RAFTKV_ENDPOINTS: "", RAFTKV_PROTOCOL: "" } });
}

beforeAll(async () => {
  dir = tempDir("cli-client");
  const started = await startTestNode(dir);
  node = started.node;
  liveEndpoint = started.endpoint;
  endpoints = `127.0.0.1:${freePort()},${started.endpoint}`;
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

describe("raftkv txn", () => {
  test("a compare-and-swap from stdin: success, then failure with the failure branch's reads", async () => {
    expect((await raftkv(["put", "cas/k", "1"])).exitCode).toBe(0);
    const swap = 'value("cas/k") = "1"\n\nput cas/k 2\nget cas/k\n\nget cas/k\n';
    const first = await raftkv(["txn"], swap);
    expect(first).toMatchObject({ exitCode: 0, stderr: "" });
    expect(first.stdout.split("\n")).toEqual(["SUCCESS", expect.stringMatching(/^OK \d+$/), "cas/k\t2", ""]);
    const second = await raftkv(["txn"], swap);
    expect(second.stdout).toBe("FAILURE\ncas/k\t2\n");
  }, 60_000);

  test("from --file, with a create-only compare and a delete", async () => {
    const file = join(dir, "txn.txt");
    expect((await raftkv(["put", "file/k", "v"])).exitCode).toBe(0);
    writeFileSync(file, '# create once\nmod("once") = 0\n\nput once here\ndel file/k\n');
    const result = await raftkv(["txn", "--file", file]);
    expect(result.stdout.split("\n")).toEqual(["SUCCESS", expect.stringMatching(/^OK \d+$/), "DELETED 1", ""]);
    const again = await raftkv(["txn", "--file", file, "-w", "json"]);
    // Proto3 JSON leaves out false: no "succeeded" key means it failed.
    const parsed = JSON.parse(again.stdout) as { succeeded?: boolean; index?: string };
    expect(parsed.succeeded ?? false).toBe(false);
    expect(Number(parsed.index)).toBeGreaterThan(0);
  }, 60_000);

  test("bad input is one error line naming line and column, exit status 1, nothing applied", async () => {
    const result = await raftkv(["txn"], 'mod("x") = 0\n\nput x\n');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("error: txn input line 3, column 6: expected the value of put, got end of line\n");
    expect((await raftkv(["get", "x"])).exitCode).toBe(1);
  }, 60_000);
});

describe("raftkv watch", () => {
  test("replays from --start-index, one line per event, with previous values", async () => {
    const first = await raftkv(["put", "w/a", "1"]);
    const start = first.stdout.trim();
    await raftkv(["put", "w/a", "2"]);
    await raftkv(["del", "w/a"]);
    await raftkv(["put", "other", "x"]);
    const result = await raftkv(["watch", "w/", "--prefix", "--prev-kv", "--start-index", start, "--count", "3"]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toEqual([
      `PUT\t${start}\tw/a\t1`,
      expect.stringMatching(/^PUT\t\d+\tw\/a\t2\tprev\t1$/),
      expect.stringMatching(/^DELETE\t\d+\tw\/a\tprev\t2$/),
    ]);
  }, 60_000);

  test("-w json prints one object per update", async () => {
    const put = await raftkv(["put", "wj/a", "x"]);
    const result = await raftkv(["watch", "wj/a", "--start-index", put.stdout.trim(), "--count", "1", "-w", "json"]);
    const objects = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { kind: string });
    // The dead endpoint comes first: the watch reports it and moves on.
    expect(objects.map((o) => o.kind)).toEqual(["reconnecting", "connected", "events"]);
    expect(objects[2]).toMatchObject({ kind: "events", index: put.stdout.trim() });
  }, 60_000);
  test("a start index older than the kept history is one OutOfRange error line", async () => {
    const client = new RaftkvClient({ endpoints: [liveEndpoint], transport: nodeTransportFactory("grpc") });
    const put = await client.put("wc/a", "1");
    await client.put("wc/a", "2");
    const compacted = await client.compact(put.index + 1n);
    const result = await raftkv(["watch", "wc/a", "--start-index", "1"], undefined, liveEndpoint);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `error: OutOfRange: history before index ${compacted.compactIndex} is compacted; re-read, then watch with --start-index ${compacted.compactIndex} (or use --resync)\n`,
    );
  }, 60_000);
});

describe("raftkv lease", () => {
  test("grant, put --lease, ttl --keys, list, keep-alive, revoke", async () => {
    const grant = await raftkv(["lease", "grant", "60"]);
    expect(grant.stdout).toMatch(/^lease \d+ granted with TTL 60s\n$/);
    const id = grant.stdout.split(" ")[1] ?? "";
    expect((await raftkv(["put", "leased/k", "v", "--lease", id])).exitCode).toBe(0);
    const ttl = await raftkv(["lease", "ttl", id, "--keys"]);
    expect(ttl.stdout).toMatch(new RegExp(`^lease ${id} granted with TTL 60s, remaining \\d+s, attached keys \\[leased/k\\]\\n$`));
    expect((await raftkv(["lease", "list"])).stdout.split("\n")).toContain(id);
    expect((await raftkv(["lease", "keep-alive", id, "--once"])).stdout).toBe(`lease ${id} keepalived with TTL 60s\n`);
    expect((await raftkv(["lease", "revoke", id])).stdout).toBe(`lease ${id} revoked (1 keys deleted)\n`);
    const gone = await raftkv(["get", "leased/k"]);
    expect(gone.exitCode).toBe(1);
  }, 90_000);

  test("a server error is one line with the Connect code", async () => {
    const result = await raftkv(["lease", "revoke", "123456789"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: [A-Za-z]+: .+\n$/);
    const badId = await raftkv(["put", "k", "v", "--lease", "abc"]);
    expect(badId.stderr).toBe('error: --lease: expected a lease id (decimal, or hex with 0x), got "abc"\n');
    const nobody = await raftkv(["get", "k", "--timeout", "300ms"], undefined, `127.0.0.1:${freePort()}`);
    expect(nobody.exitCode).toBe(1);
    expect(nobody.stderr).toMatch(/^error: Unavailable: Get: no endpoint could serve the call within 300 ms .*ECONNREFUSED.*\n$/);
  }, 60_000);
});

describe("raftkv get/del --prefix", () => {
  test("get --prefix prints every key under the prefix, paging past 1000; del --prefix deletes them and prints how many", async () => {
    const client = new RaftkvClient({ endpoints: [liveEndpoint], transport: nodeTransportFactory("grpc") });
    const keys = Array.from({ length: 1200 }, (_, i) => `pfx/${String(i).padStart(4, "0")}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((key) => client.put(key, `v${key}`)));
    }
    await client.put("pfx", "the prefix itself, not under pfx/");
    await client.put("pfy/other", "x");

    const listed = await raftkv(["get", "pfx/", "--prefix"]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.split("\n")).toEqual([...keys.map((key) => `${key}\tv${key}`), ""]);

    // Before --prefix was a flag of del, this deleted the one key "pfx/" and printed 0.
    const deleted = await raftkv(["del", "pfx/", "--prefix"]);
    expect(deleted).toMatchObject({ exitCode: 0, stdout: "1200\n" });
    expect((await raftkv(["get", "pfx/", "--prefix"])).stdout).toBe("");
    expect((await client.get("pfx")).found).toBe(true);
    expect((await client.get("pfy/other")).found).toBe(true);
  }, 120_000);

  test("del --prefix with --range-end is refused; a prefix of 0xff bytes reaches the end of the key space", async () => {
    const both = await raftkv(["del", "a", "--prefix", "--range-end", "b"]);
    expect(both).toMatchObject({ exitCode: 1, stderr: "error: del: give --prefix or --range-end, not both\n" });
    const client = new RaftkvClient({ endpoints: [liveEndpoint], transport: nodeTransportFactory("grpc") });
    await client.put(Uint8Array.of(0xff, 0xff, 1), "a");
    await client.put(Uint8Array.of(0xff, 0xff, 0xff, 0xff), "b");
    await client.put(Uint8Array.of(0xff, 0xfe), "not under ffff");
    expect((await raftkv(["get", "ffff", "--prefix", "--hex"])).stdout).toBe("ffff01\t61\nffffffff\t62\n");
    expect((await raftkv(["del", "ffff", "--prefix", "--hex"])).stdout).toBe("2\n");
    expect((await client.get(Uint8Array.of(0xff, 0xfe))).found).toBe(true);
  }, 60_000);
});
