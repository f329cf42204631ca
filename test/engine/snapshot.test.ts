import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import type { SnapshotMeta } from "../../src/storage/snapshot-meta.ts";
import { RaftTestCluster, type TestMember } from "./raft-test-cluster.ts";

const THRESHOLD = 50;
const TRAILING = 10;
/**
 * Small peer queues: frames for a stopped member wait in its leader's queue
 * and arrive when it restarts, so with the default (8192) a short outage is
 * caught up from the queue alone; a small one makes the outage outlast it.
 */
const MAX_QUEUED_FRAMES = 32;

let cluster: RaftTestCluster | undefined;

const startCluster = (): Promise<RaftTestCluster> =>
  // Small chunks: every transfer here takes several round trips.
  RaftTestCluster.start(3, {
    snapshots: { thresholdEntries: THRESHOLD, trailingLogs: TRAILING, intervalMs: 50, chunkBytes: 4096 },
    maxQueuedFrames: MAX_QUEUED_FRAMES,
  });

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("raft engine snapshots", () => {
  test("snapshots are taken and the log compacted while writes continue; every member converges", async () => {
    cluster = await startCluster();
    const c = cluster;
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
    cluster = await startCluster();
    const c = cluster;
    await c.write(20, "before");
    const leader = await c.leader();
    const follower = c.members.find((m) => m !== leader) as TestMember;
    const followerLast = follower.logStore.lastIndex();
    await c.stop(follower);
    // Small batches: many more append messages than the stopped member's queue holds.
    const last = await c.write(THRESHOLD * 6, "during", 3);
    await c.waitFor("the leader compacted past the stopped follower", () => (leader.logStore.compactedIndex() > followerLast ? true : undefined));
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
    cluster = await startCluster();
    const c = cluster;
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
    cluster = await startCluster();
    const c = cluster;
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
    const inUse = await member.snapshots.newestValid();
    expect(inUse?.meta.id).not.toBe(newest.id);
    expect(member.engine.snapshotStats().latestIndex).toBe(inUse?.meta.index ?? 0);
    const more = await c.write(10, "b");
    await c.converged(more);
  }, 30_000);

  test("a member whose snapshots are all corrupt and whose log is compacted takes a new one of its state machine at start, and stays a voter", async () => {
    const { c, member, corrupted } = await stoppedMemberWithCorruptSnapshots();
    const applied = member.stateMachine.appliedIndex();
    const lines: string[] = [];
    await c.restart(member, new Logger("info", "json", {}, (line) => lines.push(line)));
    expect(lines.some((line) => line.includes("no valid snapshot covers the compacted log"))).toBe(true);
    const inUse = await member.snapshots.newestValid();
    expect(corrupted.map((m) => m.id)).not.toContain(inUse?.meta.id);
    expect(inUse?.meta.index).toBeGreaterThanOrEqual(applied);
    // Its membership came with the new snapshot: it is still one of the three voters.
    expect(
      inUse?.meta.membership.members
        .filter((m) => m.suffrage === "voter")
        .map((m) => m.id)
        .sort(),
    ).toEqual(["n1", "n2", "n3"]);
    await c.waitFor("the member a voter again", () => (member.engine.status().role === "learner" ? undefined : true));
    const more = await c.write(10, "b");
    await c.converged(more);
  }, 30_000);

  test("a lost state machine with only corrupt snapshots to rebuild it from is a clear error at start", async () => {
    const { c, member } = await stoppedMemberWithCorruptSnapshots();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(member.dir, `kv.db${suffix}`), { force: true });
    const lines: string[] = [];
    await expect(c.restart(member, new Logger("error", "json", {}, (line) => lines.push(line)))).rejects.toThrow(/no valid snapshot/);
    expect(lines.some((line) => line.includes("skipping corrupt snapshot"))).toBe(true);
  }, 30_000);
});

/** A cluster past its first compaction, and a member of it stopped with every snapshot it holds corrupted. */
async function stoppedMemberWithCorruptSnapshots(): Promise<{ c: RaftTestCluster; member: TestMember; corrupted: SnapshotMeta[] }> {
  cluster = await startCluster();
  const c = cluster;
  const last = await c.write(200, "a");
  await c.converged(last);
  const member = await c.waitFor("a member with a compacted log", () => c.members.find((m) => m.logStore.compactedIndex() > 0));
  await c.stop(member);
  const corrupted = member.snapshots.list();
  for (const meta of corrupted) corrupt(join(member.dir, "snapshots", `${meta.id}.snap`));
  return { c, member, corrupted };
}

/** Flips one byte in the middle: same size, wrong checksum. */
function corrupt(path: string): void {
  const bytes = readFileSync(path);
  const middle = bytes.length >> 1;
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  writeFileSync(path, bytes);
}
