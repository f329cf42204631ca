import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { runUntilReadyThenKill } from "../support/crash-child.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

let dir: string;

beforeEach(() => {
  dir = tempDir("log-crash");
});

afterEach(() => {
  removeDir(dir);
});

test("a log store killed (SIGKILL) mid-persist reopens with entries and hard state from the same batch", async () => {
  const path = join(dir, "raft.db");
  await runUntilReadyThenKill(join(import.meta.dir, "fixtures", "persist-forever.ts"), [path]);
  const store = RaftLogStore.open(path);
  try {
    const last = store.lastIndex();
    expect(last).toBeGreaterThanOrEqual(800);
    expect(last % 16).toBe(0);
    const hs = store.hardState();
    expect(hs.commit).toBe(last);
    expect(hs.term).toBe(last / 16);
    expect(store.lastTerm()).toBe(hs.term);
    expect(store.entries(1, last + 1)).toHaveLength(last);
  } finally {
    store.close();
  }
});
