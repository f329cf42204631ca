import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootstrapLog } from "../../src/engine/raft-bootstrap.ts";
import { RaftEngine } from "../../src/engine/raft-engine.ts";
import { RaftPeerInbox } from "../../src/engine/raft-peer-inbox.ts";
import { restoreSnapshotOnStart } from "../../src/engine/raft-snapshotter.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import type { SnapshotMeta } from "../../src/storage/snapshot-meta.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import { removeDir, tempDir } from "../support/test-node.ts";
import { fastTiming, putCommand } from "./raft-test-cluster.ts";

const THRESHOLD = 50;
const TRAILING = 10;
/**
 * Small peer queues: frames for a stopped member wait in its leader's queue
 * and arrive when it restarts, so with the default (8192) a short outage is
 * caught up from the queue alone; a small one makes the outage outlast it.
 */
const MAX_QUEUED_FRAMES = 32;

interface SnapshotMember {
  readonly id: string;
  readonly dir: string;
  engine: RaftEngine;
  logStore: RaftLogStore;
  stateMachine: KvStateMachine;
  snapshots: FileSnapshotStore;
  running: boolean;
}

function startEngine(
  member: Omit<SnapshotMember, "engine" | "running">,
  transport: PeerTransport,
  inbox: RaftPeerInbox,
  latest?: SnapshotMeta | null,
): RaftEngine {
  return RaftEngine.start({
    id: member.id,
    logStore: member.logStore,
    stateMachine: member.stateMachine,
    transport,
    inbox,
    clientAddress: `client-of-${member.id}:1`,
    timing: fastTiming,
    requestTimeoutMs: 5000,
    // Small chunks: every transfer here takes several round trips.
    snapshots: { store: member.snapshots, thresholdEntries: THRESHOLD, trailingLogs: TRAILING, intervalMs: 600_000, chunkBytes: 4096, latest },
  });
}

/** Three in-process engines with snapshots on, real SQLite files and real transports on 127.0.0.1. */
class SnapshotCluster {
  private constructor(
    readonly members: SnapshotMember[],
    private readonly clusterId: string,
    private readonly raftPorts: Map<string, number>,
  ) {}

  static async start(): Promise<SnapshotCluster> {
    const clusterId = `snap-${crypto.randomUUID().slice(0, 8)}`;
    const ids = ["n1", "n2", "n3"];
    const inboxes = ids.map(() => new RaftPeerInbox());
    const transports = await Promise.all(
      ids.map((id, i) => PeerTransport.listen({
          clusterId,
          selfId: id,
          host: "127.0.0.1",
          port: 0,
          onMessage: (inboxes[i] as RaftPeerInbox).deliver,
          maxQueuedFrames: MAX_QUEUED_FRAMES,
        })),
    );
    const initialCluster = ids.map((id, i) => ({ id, raftAddress: `127.0.0.1:${(transports[i] as PeerTransport).port}` }));
    const members = ids.map((id, i): SnapshotMember => {
      const dir = tempDir(`raft-snap-${id}`);
      const files = {
        id,
        dir,
        logStore: RaftLogStore.open(join(dir, "raft.db")),
        stateMachine: KvStateMachine.open(join(dir, "kv.db")),
        snapshots: FileSnapshotStore.open(join(dir, "snapshots")),
      };
      bootstrapLog(files.logStore, { selfId: id, initialCluster, raftAddress: "", clientAddress: "" }, clusterId);
      return { ...files, engine: startEngine(files, transports[i] as PeerTransport, inboxes[i] as RaftPeerInbox), running: true };
    });
    return new SnapshotCluster(members, clusterId, new Map(initialCluster.map((m) => [m.id, Number(m.raftAddress.split(":")[1])])));
  }

  async waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  }

  running(): SnapshotMember[] {
    return this.members.filter((m) => m.running);
  }

  async leader(): Promise<SnapshotMember> {
    return this.waitFor("a leader", () => this.running().find((m) => m.engine.status().role === "leader"));
  }

  /** Writes in batches of `batchSize` concurrent proposals (each batch is about one append message per follower). */
  async write(count: number, prefix: string, batchSize = 25): Promise<number> {
    let last = 0;
    for (let start = 0; start < count; start += batchSize) {
      const leader = await this.leader();
      const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) =>
        leader.engine.propose(putCommand(`${prefix}-${start + i}`, `value-${start + i}`)),
      );
      for (const applied of await Promise.all(batch)) last = Math.max(last, applied.index);
    }
    return last;
  }

  async converged(index: number): Promise<void> {
    await this.waitFor("every member applied everything with equal hashes", () => {
      const members = this.running();
      if (!members.every((m) => m.stateMachine.appliedIndex() >= index)) return undefined;
      const applied = new Set(members.map((m) => m.stateMachine.appliedIndex()));
      return applied.size === 1 && new Set(members.map((m) => m.stateMachine.hash())).size === 1 ? true : undefined;
    });
  }

  async stop(member: SnapshotMember): Promise<void> {
    member.running = false;
    await member.engine.close();
    member.stateMachine.close();
    member.logStore.close();
  }

  /** Reopens a stopped member's files (restoring its snapshot first when its log needs it) on its old Raft port. */
  async restart(member: SnapshotMember, logger?: Logger): Promise<boolean> {
    const inbox = new RaftPeerInbox();
    const transport = await PeerTransport.listen({
      clusterId: this.clusterId,
      selfId: member.id,
      host: "127.0.0.1",
      port: this.raftPorts.get(member.id) ?? 0,
      onMessage: inbox.deliver,
      maxQueuedFrames: MAX_QUEUED_FRAMES,
    });
    member.logStore = RaftLogStore.open(join(member.dir, "raft.db"));
    member.stateMachine = KvStateMachine.open(join(member.dir, "kv.db"));
    member.snapshots = FileSnapshotStore.open(join(member.dir, "snapshots"));
    const appliedBefore = member.stateMachine.appliedIndex();
    let newest;
    try {
      newest = await restoreSnapshotOnStart(member.snapshots, member.stateMachine, member.logStore, logger);
    } catch (error) {
      await transport.close();
      member.stateMachine.close();
      member.logStore.close();
      throw error;
    }
    member.engine = startEngine(member, transport, inbox, newest?.meta ?? null);
    member.running = true;
    return member.stateMachine.appliedIndex() !== appliedBefore;
  }

  async close(): Promise<void> {
    for (const m of this.members) {
      if (m.running) await this.stop(m);
      removeDir(m.dir);
    }
  }
}

let cluster: SnapshotCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("raft engine snapshots", () => {
  test("snapshots are taken and the log compacted while writes continue; every member converges", async () => {
    const c = (cluster = await SnapshotCluster.start());
    const last = await c.write(300, "a");
    const leader = await c.leader();
    await c.converged(last);
    await c.waitFor("a snapshot on the leader", () => (leader.engine.snapshotStats().taken > 0 ? true : undefined));
    const stats = leader.engine.snapshotStats();
    expect(stats.latestIndex).toBeGreaterThanOrEqual(THRESHOLD);
    expect(leader.snapshots.list().length).toBeGreaterThan(0);
    await c.waitFor("the leader's log compacted", () => (leader.logStore.compactedIndex() > 0 ? true : undefined));
    // Trailing entries stay below the newest snapshot for slow followers.
    expect(leader.logStore.compactedIndex()).toBeLessThanOrEqual(stats.latestIndex - TRAILING);
    expect(leader.engine.stats().lastSnapshotIndex).toBe(leader.engine.snapshotStats().latestIndex);
  }, 30_000);

  test("a follower that fell behind the compacted log catches up through InstallSnapshot", async () => {
    const c = (cluster = await SnapshotCluster.start());
    await c.write(20, "before");
    const leader = await c.leader();
    const follower = c.members.find((m) => m !== leader) as SnapshotMember;
    const followerLast = follower.logStore.lastIndex();
    await c.stop(follower);
    // Small batches: many more append messages than the stopped member's queue holds.
    const last = await c.write(THRESHOLD * 6, "during", 3);
    await c.waitFor("the leader compacted past the stopped follower", () =>
      leader.logStore.compactedIndex() > followerLast ? true : undefined,
    );
    const restoredOnStart = await c.restart(follower);
    expect(restoredOnStart).toBe(false);
    const after = await c.write(5, "after");
    await c.converged(Math.max(last, after));
    expect(follower.engine.snapshotStats().installed).toBeGreaterThan(0);
    expect(follower.stateMachine.hash()).toBe(leader.stateMachine.hash());
    // The received snapshot is stored on the follower and its log restarts after it.
    expect(follower.snapshots.list().length).toBeGreaterThan(0);
    expect(follower.logStore.compactedIndex()).toBeGreaterThan(followerLast);
  }, 30_000);

  test("a member whose log was compacted and whose state machine was lost restarts from its own snapshot", async () => {
    const c = (cluster = await SnapshotCluster.start());
    const last = await c.write(200, "a");
    await c.converged(last);
    const member = await c.waitFor("a member with a compacted log", () =>
      c.members.find((m) => m.logStore.compactedIndex() > 0 && m.snapshots.list().length > 0),
    );
    const compacted = member.logStore.compactedIndex();
    await c.stop(member);
    // Without its database, the entries through `compacted` exist only in the snapshot.
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(member.dir, `kv.db${suffix}`), { force: true });
    const restored = await c.restart(member);
    expect(restored).toBe(true);
    expect(member.stateMachine.appliedIndex()).toBeGreaterThanOrEqual(compacted);
    const more = await c.write(10, "b");
    await c.converged(more);
  }, 30_000);

  test("a corrupt snapshot is skipped with a logged error and never used", async () => {
    const c = (cluster = await SnapshotCluster.start());
    const last = await c.write(200, "a");
    await c.converged(last);
    const member = await c.waitFor("a member with a snapshot", () => c.members.find((m) => m.snapshots.list().length > 0));
    await c.stop(member);
    const [newest] = member.snapshots.list();
    if (newest === undefined) throw new Error("no snapshot");
    corrupt(join(member.dir, "snapshots", `${newest.id}.snap`));
    const lines: string[] = [];
    await c.restart(member, new Logger("error", "json", {}, (line) => lines.push(line)));
    expect(lines.some((line) => line.includes("skipping corrupt snapshot") && line.includes(newest.id))).toBe(true);
    expect(member.engine.snapshotStats().latestIndex).toBeLessThan(newest.index);
    const more = await c.write(10, "b");
    await c.converged(more);
  }, 30_000);

  test("a lost state machine with only corrupt snapshots to rebuild it from is a clear error at start", async () => {
    const c = (cluster = await SnapshotCluster.start());
    const last = await c.write(200, "a");
    await c.converged(last);
    const member = await c.waitFor("a member with a compacted log", () => c.members.find((m) => m.logStore.compactedIndex() > 0));
    await c.stop(member);
    for (const meta of member.snapshots.list()) corrupt(join(member.dir, "snapshots", `${meta.id}.snap`));
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(member.dir, `kv.db${suffix}`), { force: true });
    const lines: string[] = [];
    await expect(c.restart(member, new Logger("error", "json", {}, (line) => lines.push(line)))).rejects.toThrow(/no valid snapshot/);
    expect(lines.some((line) => line.includes("skipping corrupt snapshot"))).toBe(true);
  }, 30_000);
});

/** Flips one byte in the middle: same size, wrong checksum. */
function corrupt(path: string): void {
  const bytes = readFileSync(path);
  const middle = bytes.length >> 1;
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  writeFileSync(path, bytes);
}
