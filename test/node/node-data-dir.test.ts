import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import type { NodeConfig } from "../../src/node/node-config.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { testConfig } from "../support/test-node.ts";
import { deleteRaftMeta, fingerprint, raftMeta } from "./data-dir-files.ts";

const root = tempDir("node-data-dir");
afterAll(() => removeDir(root));

/** A node in this process whose log lines are kept, so a test can read its warnings. */
async function startNode(config: NodeConfig): Promise<{ node: RaftkvNode; lines: string[] }> {
  const lines: string[] = [];
  const node = await RaftkvNode.start(config, new Logger("info", "text", {}, (line) => lines.push(line)));
  return { node, lines };
}

/** The error a start fails with (undefined when it started, which the test then reports). */
async function startError(config: NodeConfig): Promise<string> {
  try {
    const node = await RaftkvNode.start(config, Logger.silent());
    await node.close();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error(`the start on ${config.dataDir} succeeded`);
}

describe("one process per data dir", () => {
  test("a second start on a running node's data dir is refused with the holder's pid, and allowed once the first stopped", async () => {
    const dataDir = join(root, "locked");
    const first = await startNode(testConfig(dataDir));
    try {
      expect(await startError(testConfig(dataDir))).toBe(
        `data dir ${dataDir} is in use by another raftkv process (pid ${process.pid}): one process per data dir`,
      );
      // The refused start left the running node's files alone and it still serves.
      expect(readdirSync(dataDir).sort()).toEqual([
        "LOCK",
        "LOCK.pid",
        "kv.db",
        "kv.db-shm",
        "kv.db-wal",
        "raft.db",
        "raft.db-shm",
        "raft.db-wal",
        "snapshots",
      ]);
    } finally {
      await first.node.close();
    }
    expect(existsSync(join(dataDir, "LOCK.pid"))).toBe(false);
    const second = await startNode(testConfig(dataDir));
    await second.node.close();
  }, 30_000);
});

describe("a data dir belongs to one node id", () => {
  test("the first start records the id; another id is refused naming both, and nothing changes", async () => {
    const dataDir = join(root, "identity");
    const { node } = await startNode({ ...testConfig(dataDir), id: "n1" });
    await node.close();
    expect(raftMeta(dataDir, "node_id")).toBe("n1");
    const clusterId = raftMeta(dataDir, "cluster_id");
    const before = fingerprint(dataDir);
    expect(await startError({ ...testConfig(dataDir), id: "n2" })).toBe(
      `data dir ${dataDir} belongs to node "n1" of cluster ${clusterId}, not "n2": start it with --id n1, or give n2 its own --data-dir`,
    );
    expect(fingerprint(dataDir)).toBe(before);
  }, 30_000);

  test("a data dir from before ids were recorded gets its id recorded on its first start", async () => {
    const dataDir = join(root, "old");
    const { node } = await startNode({ ...testConfig(dataDir), id: "n1" });
    await node.close();
    deleteRaftMeta(dataDir, "node_id");
    const restarted = await startNode({ ...testConfig(dataDir), id: "n1" });
    await restarted.node.close();
    expect(raftMeta(dataDir, "node_id")).toBe("n1");
  }, 30_000);
});

describe("a failed start leaves the data dir as it was", () => {
  test("a port in use: a data dir that did not exist still does not, an empty one stays empty", async () => {
    const { node: holder } = await startNode(testConfig(join(root, "holder")));
    try {
      const taken = `127.0.0.1:${holder.clientPort}`;
      const missing = join(root, "missing", "data");
      expect(await startError({ ...testConfig(missing), listen: taken })).toStartWith(`cannot listen on ${taken}: `);
      expect(existsSync(join(root, "missing"))).toBe(false);

      const empty = join(root, "empty");
      mkdirSync(empty);
      expect(await startError({ ...testConfig(empty), raftListen: `127.0.0.1:${holder.engine.raftPort}` })).toBe(
        `cannot listen for Raft peers on 127.0.0.1:${holder.engine.raftPort}: EADDRINUSE`,
      );
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      await holder.close();
    }
  }, 30_000);

  test("a start that fails after it created its files (an initial cluster without this node) removes them", async () => {
    const dataDir = join(root, "not-listed");
    const config = { ...testConfig(dataDir), initialCluster: [{ id: "other", raftAddress: "127.0.0.1:1" }] };
    expect(await startError(config)).toBe(`initial-cluster does not list this node's id "test1" (members: other)`);
    expect(existsSync(dataDir)).toBe(false);
    // Nothing was bootstrapped: the same dir now starts a cluster of its own.
    const { node } = await startNode(testConfig(dataDir));
    expect(node.engine.isSoleVoter()).toBe(true);
    await node.close();
  }, 30_000);
});

describe("flags for a new data dir only", () => {
  test("--join and --initial-cluster on a data dir with a log are ignored with one warning line", async () => {
    const dataDir = join(root, "ignored");
    const first = await startNode(testConfig(dataDir));
    expect(first.lines.filter((line) => line.includes(" WARN "))).toEqual([]);
    await first.node.close();
    // A join to nobody would fail the start after its timeout: ignored, the node serves from its log at once.
    const again = await startNode({
      ...testConfig(dataDir),
      join: ["127.0.0.1:1"],
      joinTimeoutMs: 1000,
      initialCluster: [{ id: "test1", raftAddress: "127.0.0.1:1" }],
    });
    await again.node.close();
    const warnings = again.lines.filter((line) => line.includes(" WARN "));
    expect(warnings).toEqual([
      expect.stringContaining(
        `WARN --join and --initial-cluster ignored: the data dir already holds a Raft log, so the node rejoins its cluster from it dataDir=${dataDir}`,
      ),
    ]);
  }, 30_000);
});
