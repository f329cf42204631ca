import { afterEach, beforeEach, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import { runUntilReadyThenKill } from "../support/crash-child.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

let dir: string;

beforeEach(() => {
  dir = tempDir("snap-crash");
});

afterEach(() => {
  removeDir(dir);
});

test("a sink killed mid-write (SIGKILL) is never listed and is removed on reopen", async () => {
  await runUntilReadyThenKill(join(import.meta.dir, "fixtures", "sink-forever.ts"), [dir]);
  expect(readdirSync(dir).some((name) => name.endsWith(".partial"))).toBe(true);
  const store = FileSnapshotStore.open(dir);
  expect(store.list()).toEqual([]);
  expect(await store.newestValid()).toBeUndefined();
  expect(readdirSync(dir)).toEqual([]);
});
