import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { EngineError } from "../../src/engine/engine-error.ts";
import { type KvRaftEngine, launchRaftEngine } from "../../src/engine/engine-launcher.ts";
import { RaftNotLeaderError } from "../../src/engine/not-leader-error.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { fastTiming, putCommand, RaftTestCluster } from "./raft-test-cluster.ts";

const utf8 = new TextDecoder();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function singleNode(dir: string): Promise<{ engine: KvRaftEngine; close: () => Promise<void> }> {
  const logStore = RaftLogStore.open(join(dir, "raft.db"));
  const stateMachine = KvStateMachine.open(join(dir, "kv.db"));
  const engine = await launchRaftEngine({
    id: "solo",
    logStore,
    stateMachine,
    raftHost: "127.0.0.1",
    raftPort: 0,
    advertiseRaft: "127.0.0.1:0",
    clientAddress: "127.0.0.1:1",
    timing: fastTiming,
  });
  return {
    engine,
    close: async () => {
      await engine.close();
      stateMachine.close();
      logStore.close();
    },
  };
}

describe("RaftEngine, one node", () => {
  test("bootstraps itself, leads at once, group-commits proposals and survives a restart", async () => {
    const dir = tempDir("raft-solo");
    cleanups.push(async () => removeDir(dir));
    const first = await singleNode(dir);
    // No election timeout to wait for: the first proposal is accepted.
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => first.engine.propose(putCommand(`k${i}`, `v${i}`))));
    // Entry 1 is the bootstrap configuration, 2 the leader's no-op.
    expect(answers.map((a) => a.index)).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));
    expect(answers.every((a) => a.result.kind === "put")).toBe(true);
    expect(first.engine.status()).toMatchObject({ id: "solo", role: "leader", leaderId: "solo", appliedIndex: 102 });
    expect(await first.engine.readBarrier("linearizable")).toBeGreaterThanOrEqual(102);
    expect(await first.engine.readBarrier("lease")).toBeGreaterThanOrEqual(102);
    expect(await first.engine.readBarrier("stale")).toBe(102);
    expect(first.engine.leaderClientAddress()).toBe("127.0.0.1:1");
    expect(first.engine.ioStats().persists).toBeGreaterThan(0);
    await first.close();

    const second = await singleNode(dir);
    cleanups.push(second.close);
    const next = await second.engine.propose(putCommand("after", "restart"));
    expect(next.index).toBeGreaterThan(102);
    expect(utf8.decode(second.engine.stateMachine.get(new TextEncoder().encode("k7"))?.value)).toBe("v7");
    // The restart kept the first configuration: still a single voter, not re-bootstrapped.
    expect(second.engine.membership().members.map((m) => m.id)).toEqual(["solo"]);
  });

  test("a restart applies log entries the state machine never saw (crash between persist and apply)", async () => {
    const dir = tempDir("raft-solo-replay");
    cleanups.push(async () => removeDir(dir));
    const first = await singleNode(dir);
    const written = await first.engine.propose(putCommand("a", "1"));
    await first.close();
    // Entries made durable in the log but never applied: what a crash right
    // after the fsync and before the apply leaves behind.
    const logStore = RaftLogStore.open(join(dir, "raft.db"));
    const term = logStore.hardState().term;
    const last = logStore.lastIndex();
    logStore.append([
      { index: last + 1, term, kind: "normal", data: putCommand("b", "2") },
      { index: last + 2, term, kind: "normal", data: putCommand("a", "3") },
    ]);
    logStore.close();

    const second = await singleNode(dir);
    cleanups.push(second.close);
    await second.engine.readBarrier("linearizable");
    const fsm = second.engine.stateMachine;
    expect(fsm.appliedIndex()).toBeGreaterThanOrEqual(last + 2);
    expect(utf8.decode(fsm.get(new TextEncoder().encode("a"))?.value)).toBe("3");
    expect(fsm.get(new TextEncoder().encode("a"))?.version).toBe(2);
    expect(fsm.get(new TextEncoder().encode("a"))?.createIndex).toBe(written.index);
    expect(utf8.decode(fsm.get(new TextEncoder().encode("b"))?.value)).toBe("2");
  });

  test("an aborted or closed engine rejects with a typed error", async () => {
    const dir = tempDir("raft-solo-abort");
    cleanups.push(async () => removeDir(dir));
    const node = await singleNode(dir);
    const controller = new AbortController();
    controller.abort();
    await expect(node.engine.propose(putCommand("a", "b"), controller.signal)).rejects.toMatchObject({ reason: "aborted" });
    await node.close();
    const error = await node.engine.propose(putCommand("a", "b")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).reason).toBe("shutdown");
  });
});

describe("RaftEngine, three nodes in process", () => {
  test("elects, replicates, applies identically and serves linearizable reads on followers", async () => {
    const cluster = await RaftTestCluster.start(3);
    cleanups.push(() => cluster.close());
    const leader = await cluster.leader();
    const followers = cluster.members.filter((m) => m !== leader);

    const writes = await Promise.all(Array.from({ length: 50 }, (_, i) => leader.engine.propose(putCommand(`key${i}`, `value${i}`))));
    const lastIndex = Math.max(...writes.map((w) => w.index));

    // A follower's linearizable read covers a write the leader just acknowledged.
    for (const follower of followers) {
      const acked = await leader.engine.propose(putCommand("fresh", follower.id));
      const readable = await follower.engine.readBarrier("linearizable");
      expect(readable).toBeGreaterThanOrEqual(acked.index);
      expect(utf8.decode(follower.stateMachine.get(new TextEncoder().encode("fresh"))?.value)).toBe(follower.id);
    }

    // A write on a follower is refused before it enters any log, naming the leader.
    const refused = await (followers[0]?.engine.propose(putCommand("x", "y")) ?? Promise.reject(new Error("no follower"))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RaftNotLeaderError);
    expect(refused).toMatchObject({ leaderId: leader.id, proposed: false, reason: "notLeader" });

    await cluster.waitFor("every member applied everything", () =>
      cluster.members.every((m) => m.stateMachine.appliedIndex() >= lastIndex + 2) ? true : undefined,
    );
    const hashes = new Set(cluster.members.map((m) => m.stateMachine.hash()));
    expect(hashes.size).toBe(1);

    // Every member's client address reaches the replicated configuration.
    await cluster.waitFor("client addresses replicated", () =>
      cluster.members.every((m) => m.engine.membership().members.every((x) => x.clientAddress === `client-of-${x.id}:1`)) ? true : undefined,
    );
    expect(followers[0]?.engine.leaderClientAddress()).toBe(`client-of-${leader.id}:1`);
  });

  test("a new leader takes over when the leader stops; the old one rejoins and catches up", async () => {
    const cluster = await RaftTestCluster.start(3);
    cleanups.push(() => cluster.close());
    const oldLeader = await cluster.leader();
    await Promise.all(Array.from({ length: 20 }, (_, i) => oldLeader.engine.propose(putCommand(`before${i}`, "x"))));
    await cluster.stop(oldLeader);
    const survivors = cluster.members.filter((m) => m !== oldLeader);
    const newLeader = await cluster.leader(survivors);
    expect(newLeader.id).not.toBe(oldLeader.id);
    const after = await newLeader.engine.propose(putCommand("after", "failover"));
    // A survivor that is not the leader applies what is committed when the leader next tells it the commit index.
    await cluster.waitFor("the survivors apply the new leader's write", () =>
      survivors.every((s) => s.stateMachine.appliedIndex() >= after.index) ? true : undefined,
    );
    for (const s of survivors) expect(s.stateMachine.get(new TextEncoder().encode("before7"))).toBeDefined();

    await cluster.restart(oldLeader);
    await cluster.waitFor("the restarted member catches up", () => (oldLeader.stateMachine.appliedIndex() >= after.index ? true : undefined));
    expect(utf8.decode(oldLeader.stateMachine.get(new TextEncoder().encode("after"))?.value)).toBe("failover");
    await cluster.waitFor("all hashes equal", () => {
      const applied = new Set(cluster.members.map((m) => m.stateMachine.appliedIndex()));
      return applied.size === 1 && new Set(cluster.members.map((m) => m.stateMachine.hash())).size === 1 ? true : undefined;
    });
  });
});

describe("RaftEngine without a quorum", () => {
  test("a lone survivor serves no linearizable read and commits no write, but answers stale reads", async () => {
    const cluster = await RaftTestCluster.start(3);
    cleanups.push(() => cluster.close());
    const leader = await cluster.leader();
    const acked = await leader.engine.propose(putCommand("k", "v"));
    const [survivor, ...others] = cluster.members.filter((m) => m !== leader);
    if (survivor === undefined) throw new Error("no survivor");
    await cluster.waitFor("the survivor applied the write", () => (survivor.stateMachine.appliedIndex() >= acked.index ? true : undefined));
    for (const m of [leader, ...others]) await cluster.stop(m);
    const read = await survivor.engine.readBarrier("linearizable", AbortSignal.timeout(600)).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(EngineError);
    expect((read as EngineError).reason).toBe("aborted");
    const write = await survivor.engine.propose(putCommand("k", "lost"), AbortSignal.timeout(600)).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(EngineError);
    // Without a deadline of its own, a request fails fast once no leader has emerged for a while (not after 5 s).
    const noLeader = await survivor.engine.propose(putCommand("k", "lost")).catch((e: unknown) => e);
    expect(noLeader).toBeInstanceOf(RaftNotLeaderError);
    expect(noLeader).toMatchObject({ leaderId: "", proposed: false });
    const noLeaderRead = await survivor.engine.readBarrier("linearizable").catch((e: unknown) => e);
    expect(noLeaderRead).toMatchObject({ reason: "notLeader" });
    expect(await survivor.engine.readBarrier("stale")).toBeGreaterThanOrEqual(acked.index);
    expect(utf8.decode(survivor.stateMachine.get(new TextEncoder().encode("k"))?.value)).toBe("v");
  });
});
