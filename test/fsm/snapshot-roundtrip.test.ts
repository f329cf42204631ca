import { afterEach, beforeEach, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import type { Entry } from "../../src/raft/entry.ts";
import { emptyMembership } from "../../src/raft/membership.ts";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { putEntry } from "./commands.ts";

let dir: string;

beforeEach(() => {
  dir = tempDir("fsm-snap");
});

afterEach(() => {
  removeDir(dir);
});

function puts(from: number, count: number): Entry[] {
  return Array.from({ length: count }, (_, i) => putEntry(from + i, `key-${from + i}`, `value-${from + i}`, { term: 3 }));
}

test("FSM copy → snapshot store → stream to a follower → restore there gives the same state", async () => {
  const leader = KvStateMachine.open(join(dir, "leader-kv.db"));
  const leaderSnaps = FileSnapshotStore.open(join(dir, "leader-snaps"));
  leader.applyBatch(puts(1, 300));

  const temp = leaderSnaps.tempPath();
  const position = await leader.snapshotTo(temp);
  const meta = await leaderSnaps.importFile(temp, { ...position, membership: emptyMembership });
  expect(meta.index).toBe(300);
  expect(meta.term).toBe(3);
  // VACUUM INTO leaves nothing behind in the store directory but the snapshot.
  expect(readdirSync(leaderSnaps.dir).sort()).toEqual([`${meta.id}.json`, `${meta.id}.snap`]);

  const followerSnaps = FileSnapshotStore.open(join(dir, "follower-snaps"));
  const sink = followerSnaps.createSink({ index: meta.index, term: meta.term, membership: meta.membership }, meta.checksum);
  for await (const chunk of leaderSnaps.readChunks(meta.id, 4096)) sink.write(chunk);
  sink.commit();

  const follower = KvStateMachine.open(join(dir, "follower-kv.db"));
  follower.applyBatch(puts(1, 5));
  const newest = await followerSnaps.newestValid();
  expect(newest?.meta.index).toBe(300);
  follower.restoreFrom(newest?.path ?? "");
  expect(follower.appliedIndex()).toBe(300);
  expect(follower.hash()).toBe(leader.hash());

  leader.close();
  follower.close();
});

test("a corrupt newest snapshot is skipped and the older valid one restores", async () => {
  const fsm = KvStateMachine.open(join(dir, "kv.db"));
  const snaps = FileSnapshotStore.open(join(dir, "snaps"));
  fsm.applyBatch(puts(1, 50));
  const hashAt50 = fsm.hash();
  const first = snaps.tempPath();
  await snaps.importFile(first, { ...(await fsm.snapshotTo(first)), membership: emptyMembership });
  fsm.applyBatch(puts(51, 50));
  const second = snaps.tempPath();
  const newest = await snaps.importFile(second, { ...(await fsm.snapshotTo(second)), membership: emptyMembership });
  writeFileSync(join(snaps.dir, `${newest.id}.snap`), "garbage");

  const logged: string[] = [];
  const chosen = await snaps.newestValid((msg, ctx) => logged.push(`${msg} ${String(ctx.snapshotId)}`));
  expect(chosen?.meta.index).toBe(50);
  expect(logged).toEqual([`skipping unreadable snapshot ${newest.id}`]);
  fsm.restoreFrom(chosen?.path ?? "");
  expect(fsm.appliedIndex()).toBe(50);
  expect(fsm.hash()).toBe(hashAt50);
  fsm.close();
});
