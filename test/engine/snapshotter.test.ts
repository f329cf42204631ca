import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { RaftSnapshotter } from "../../src/engine/snapshotter.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import type { Entry } from "../../src/raft/entry.ts";
import { encodeMembers } from "../../src/raft/membership-codec.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import { putEntry } from "../fsm/commands.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const THRESHOLD = 10;
const INTERVAL_MS = 1000;

let dir: string;
let fsm: KvStateMachine;
let logStore: RaftLogStore;
let snapshotter: RaftSnapshotter;
let taken: number[];
let randomValue: number;

const config: Entry = {
  index: 1,
  term: 1,
  kind: "config",
  data: encodeMembers([{ id: "n1", suffrage: "voter", raftAddress: "127.0.0.1:50051", clientAddress: "127.0.0.1:40051" }]),
};

function applyPuts(count: number): void {
  const first = fsm.appliedIndex() + 1;
  fsm.applyBatch(Array.from({ length: count }, (_, i) => putEntry(first + i, `k${first + i}`, "v")));
}

/** Runs a check at `nowMs` and waits for any snapshot it started. */
async function checkAt(nowMs: number): Promise<number | undefined> {
  snapshotter.maybeTake(nowMs);
  await snapshotter.idle();
  return snapshotter.latest()?.index;
}

beforeEach(() => {
  dir = tempDir("snapshotter");
  fsm = KvStateMachine.open(join(dir, "kv.db"));
  logStore = RaftLogStore.open(join(dir, "raft.db"));
  fsm.applyBatch([config]);
  taken = [];
  randomValue = 0.5;
  snapshotter = new RaftSnapshotter(
    { store: FileSnapshotStore.open(join(dir, "snapshots")), thresholdEntries: THRESHOLD, intervalMs: INTERVAL_MS },
    fsm,
    logStore,
    (index) => taken.push(index),
    undefined,
    () => randomValue,
  );
});

afterEach(() => {
  fsm.close();
  logStore.close();
  removeDir(dir);
});

test("checks come a staggered interval apart; a check snapshots only past the threshold (hashicorp/raft's meaning)", async () => {
  applyPuts(3 * THRESHOLD);
  // The first call schedules the first check: interval × (1 + 0.5) later. Far past the threshold, nothing happens before it.
  expect(await checkAt(0)).toBeUndefined();
  expect(await checkAt(1499)).toBeUndefined();
  expect(await checkAt(1500)).toBe(1 + 3 * THRESHOLD);
  expect(taken).toEqual([1 + 3 * THRESHOLD]);

  // Below the threshold at the next check (1500 + 1500): no snapshot, and the check after that is scheduled.
  applyPuts(THRESHOLD - 1);
  randomValue = 0.999;
  expect(await checkAt(3000)).toBe(1 + 3 * THRESHOLD);
  applyPuts(1);
  // Enough now, but the next check is interval × 1.999 after the last one.
  expect(await checkAt(3000 + 1998)).toBe(1 + 3 * THRESHOLD);
  expect(await checkAt(3000 + 1999)).toBe(1 + 4 * THRESHOLD);
  expect(taken).toEqual([1 + 3 * THRESHOLD, 1 + 4 * THRESHOLD]);
  // The files are real: the newest one verifies.
  expect((await snapshotter.store.newestValid())?.meta.index).toBe(1 + 4 * THRESHOLD);
});

test("an operator's snapshot does not wait for a check, and answers with the newest one when nothing was applied since", async () => {
  applyPuts(2);
  expect(await snapshotter.takeNow()).toBe(3);
  expect(await snapshotter.takeNow()).toBe(3);
  expect(taken).toEqual([3]);
});
