import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Cluster } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { runCli } from "../support/run-cli.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { fingerprint, raftMeta } from "./data-dir-files.ts";

const utf8 = new TextEncoder();
const root = tempDir("data-dir-processes");
const running: ServeProcess[] = [];

afterAll(async () => {
  for (const node of running) await node.kill();
  removeDir(root);
});

function serveProcess(id: string, dataDir: string, flags: readonly string[] = []): ServeProcess {
  const node = new ServeProcess({ id, dataDir, flags: ["--raft-listen", "127.0.0.1:0", ...flags] });
  running.push(node);
  return node;
}

/** `id raftAddress clientAddress` per member, as the replicated configuration on the node at `endpoint` has them. */
async function configuration(endpoint: string): Promise<string[]> {
  const cluster = createClient(Cluster, createGrpcTransport({ baseUrl: `http://${endpoint}`, acceptCompression: [] }));
  const answer = await cluster.getConfiguration({}, { timeoutMs: 5000 });
  return answer.members.map((m) => `${m.id} ${m.raftAddress} ${m.clientAddress}`).sort();
}

describe("one process per data dir", () => {
  const dataDir = join(root, "n1");
  const n1 = serveProcess("n1", dataDir);

  test("a second process on a running node's data dir exits at once with one line; the first keeps serving, its addresses unchanged", async () => {
    await n1.start();
    await n1.client().put({ key: utf8.encode("k"), value: utf8.encode("before") }, { timeoutMs: 5000 });
    const members = await configuration(n1.endpoint);
    expect(members).toEqual([expect.stringMatching(new RegExp(`^n1 127\\.0\\.0\\.1:\\d+ ${n1.endpoint}$`))]);
    const raftAddress = (members[0] ?? "").split(" ")[1] ?? "";
    const refusal = `error: data dir ${dataDir} is in use by another raftkv process (pid ${n1.pid}): one process per data dir\n`;

    // Other ports: before the lock, this one wrote into the same raft.db and announced its own addresses.
    const startedAt = performance.now();
    const otherPorts = await runCli(["serve", "--id", "n1", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0"]);
    const exitMs = performance.now() - startedAt;
    expect({ exitCode: otherPorts.exitCode, stderr: otherPorts.stderr }).toEqual({ exitCode: 1, stderr: refusal });
    // At once: no busy wait on the lock (a Bun process starts in well under a second; the bound allows a loaded box).
    expect(exitMs).toBeLessThan(10_000);
    // The same ports (the same command run twice): the lock is the error named, not a port.
    const samePorts = await runCli(["serve", "--id", "n1", "--data-dir", dataDir, "--listen", n1.endpoint, "--raft-listen", raftAddress]);
    expect({ exitCode: samePorts.exitCode, stderr: samePorts.stderr }).toEqual({ exitCode: 1, stderr: refusal });

    await Bun.sleep(500); // anything the second process could have announced would have arrived by now
    expect(await configuration(n1.endpoint)).toEqual(members);
    const read = await n1.client().get({ key: utf8.encode("k") }, { timeoutMs: 5000 });
    expect(new TextDecoder().decode(read.kv?.value)).toBe("before");
  }, 60_000);

  test("kill -9 releases the lock: a restart on the same data dir serves its data", async () => {
    await n1.kill();
    await n1.start();
    expect(readFileSync(join(dataDir, "LOCK.pid"), "utf8")).toBe(`${n1.pid}\n`);
    const read = await n1.client().get({ key: utf8.encode("k") }, { timeoutMs: 5000 });
    expect(new TextDecoder().decode(read.kv?.value)).toBe("before");
  }, 60_000);

  test("another --id on the data dir is refused naming both ids, and nothing in it changes", async () => {
    expect(await n1.terminate()).toBe(0);
    const clusterId = raftMeta(dataDir, "cluster_id");
    expect(raftMeta(dataDir, "node_id")).toBe("n1");
    const before = fingerprint(dataDir);
    const result = await runCli(["serve", "--id", "n2", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0"]);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 1,
      stderr: `error: data dir ${dataDir} belongs to node "n1" of cluster ${clusterId}, not "n2": start it with --id n1, or give n2 its own --data-dir\n`,
    });
    expect(fingerprint(dataDir)).toBe(before);
  }, 60_000);
});

describe("a failed start leaves the data dir as it was", () => {
  test("a start whose client port is taken creates no data dir, so a later --join is honoured; a restart warns that --join is ignored", async () => {
    const a = serveProcess("a", join(root, "a"));
    await a.start();
    const parent = join(root, "b-parent");
    const bDir = join(parent, "b");

    // Before: this start bootstrapped b as a one-node cluster, which the --join below then silently kept.
    const taken = await runCli(["serve", "--id", "b", "--data-dir", bDir, "--listen", a.endpoint, "--raft-listen", "127.0.0.1:0"]);
    expect(taken.exitCode).toBe(1);
    expect(taken.stderr).toMatch(new RegExp(`^error: cannot listen on ${a.endpoint}: .*EADDRINUSE.*\\n$`));
    expect(existsSync(parent)).toBe(false);

    const b = serveProcess("b", bDir, ["--join", a.endpoint]);
    await b.start();
    expect(b.hasLogged("joining cluster")).toBe(true);
    expect(raftMeta(bDir, "cluster_id")).toBe(raftMeta(join(root, "a"), "cluster_id") ?? "(none)");
    expect((await configuration(a.endpoint)).map((m) => m.split(" ")[0])).toEqual(["a", "b"]);
    // b holds a log once its own configuration (replicated to it) lists both: only then is --join ignored.
    await eventually("b's log lists a and b", async () => ((await configuration(b.endpoint)).length === 2 ? true : undefined));

    await b.kill();
    await b.start();
    const warnings = b.logLines().filter((line) => line.level === "warn");
    expect(warnings.map((line) => [line.msg, line.dataDir])).toEqual([
      ["--join ignored: the data dir already holds a Raft log, so the node rejoins its cluster from it", bDir],
    ]);
    expect(b.logLines().filter((line) => line.msg === "joining cluster").length).toBe(1);
  }, 90_000);
});
