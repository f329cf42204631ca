import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { openWalDatabase } from "../../src/storage/sqlite-file.ts";
import { WalCheckpointer } from "../../src/storage/wal-checkpointer.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

let dir: string;

beforeEach(() => {
  dir = tempDir("ckpt");
});

afterEach(() => {
  removeDir(dir);
});

test("the worker moves WAL pages into the database file while the writer's own checkpoints are off", async () => {
  const path = join(dir, "data.db");
  const db = openWalDatabase(path, "normal", { walAutocheckpointPages: 0 });
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  const insert = db.prepare("INSERT INTO t (k, v) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < 500; i++) insert.run(i, new Uint8Array(1000));
  })();
  expect(statSync(path).size).toBeLessThan(100_000);
  expect(statSync(`${path}-wal`).size).toBeGreaterThan(500_000);

  const checkpointer = WalCheckpointer.start(path, { sync: "normal", intervalMs: 10 });
  // Until a checkpoint has happened: the data now lives in the database file.
  await eventually("a checkpoint into the database file", () => statSync(path).size > 500_000, 5000, 10);
  expect(statSync(path).size).toBeGreaterThan(500_000);
  checkpointer.stop();
  checkpointer.stop();
  expect(checkpointer.lastError).toBeUndefined();

  // The worker's connection is closed: the writer's close is the last one and removes the WAL.
  insert.finalize();
  db.close();
  expect(existsSync(`${path}-wal`)).toBe(false);
});

test("a checkpointer on a missing file reports the error and still stops", async () => {
  const checkpointer = WalCheckpointer.start(join(dir, "missing.db"), { sync: "full" });
  await eventually("the checkpointer's error", () => checkpointer.lastError !== undefined, 5000, 10);
  expect(checkpointer.lastError).toMatch(/unable to open|no such file|cannot open/i);
  checkpointer.stop();
});
