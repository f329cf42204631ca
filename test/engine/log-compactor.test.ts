import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { RaftLogCompactor } from "../../src/engine/log-compactor.ts";
import type { Entry } from "../../src/raft/entry.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

let dir: string;
let store: RaftLogStore;

function entries(from: number, to: number, term: number): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ index: from + i, term, kind: "normal" as const, data: new Uint8Array(16) }));
}

beforeEach(() => {
  dir = tempDir("compactor");
  store = RaftLogStore.open(join(dir, "raft.db"));
  store.append(entries(1, 5000, 1));
});

afterEach(() => {
  store.close();
  removeDir(dir);
});

test("a large compaction goes a bounded step at a time, and the entries not yet deleted stay readable", () => {
  const compactor = new RaftLogCompactor(store, 1000);
  compactor.allow(3500);
  expect(compactor.pending).toBe(true);
  compactor.step(5000);
  expect(store.compactedIndex()).toBe(1000);
  expect(store.firstIndex()).toBe(1001);
  expect(store.entries(1001, 3501, Number.MAX_SAFE_INTEGER).length).toBe(2500);
  compactor.step(5000);
  compactor.step(5000);
  expect(store.compactedIndex()).toBe(3000);
  compactor.step(5000);
  expect(store.compactedIndex()).toBe(3500);
  expect(compactor.pending).toBe(false);
  compactor.step(5000);
  expect(store.compactedIndex()).toBe(3500);
  expect(store.lastIndex()).toBe(5000);
});

test("never past what the state machine applied; a lower allowance does not move the target back", () => {
  const compactor = new RaftLogCompactor(store, 1000);
  compactor.allow(4000);
  compactor.allow(2000);
  compactor.step(600);
  expect(store.compactedIndex()).toBe(600);
  compactor.step(600);
  expect(store.compactedIndex()).toBe(600);
  expect(compactor.pending).toBe(true);
  compactor.step(4500);
  compactor.step(4500);
  compactor.step(4500);
  compactor.step(4500);
  expect(store.compactedIndex()).toBe(4000);
});
