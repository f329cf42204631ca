import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SeededRandom } from "../../src/random/seeded-random.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { loseUnsyncedCommits, tearWalTail } from "./torn-tail.ts";
import { readWalLayout } from "./wal-layout.ts";

// The torn-write fault must only ever remove what SQLite had not committed:
// checked on real WAL files, copied while the writer still holds them open
// (what a kill -9 leaves on disk), by reopening the torn copy.
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function freshDir(): string {
  const dir = tempDir("torn");
  dirs.push(dir);
  return dir;
}

function openWal(file: string, synchronous = "FULL"): Database {
  const db = new Database(file, { create: true });
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(`PRAGMA synchronous=${synchronous}`);
  db.exec("PRAGMA wal_autocheckpoint=0");
  return db;
}

/** Copies db + WAL as a crash would leave them (the live connection stays open). */
function crashCopy(dir: string, db: string): string {
  const copyDir = join(dir, "crashed");
  removeDir(copyDir);
  mkdirSync(copyDir);
  const target = join(copyDir, "t.db");
  copyFileSync(db, target);
  if (existsSync(`${db}-wal`)) copyFileSync(`${db}-wal`, `${target}-wal`);
  return target;
}

function rowsIn(file: string): number[] {
  const db = new Database(file);
  try {
    return db
      .query<{ n: number }, []>("SELECT n FROM t ORDER BY n")
      .all()
      .map((r) => r.n);
  } finally {
    db.close();
  }
}

test("a WAL that ends at a commit gets a partial frame appended; every committed row survives", () => {
  const dir = freshDir();
  const file = join(dir, "t.db");
  const db = openWal(file);
  db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, pad BLOB)");
  for (let n = 1; n <= 20; n++) db.query("INSERT INTO t VALUES (?, randomblob(300))").run(n);
  const copy = crashCopy(dir, file);
  db.close();

  const before = readWalLayout(readFileSync(`${copy}-wal`));
  expect(before.committedEnd).toBe(before.size);
  const torn = tearWalTail(`${copy}-wal`, new SeededRandom(1));
  expect(torn.action).toBe("appended-partial-frame");
  expect(torn.sizeAfter).toBeGreaterThan(torn.sizeBefore);
  expect(rowsIn(copy)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
});

test("stale frames after a WAL restart are cut, never below the committed end", () => {
  const dir = freshDir();
  const file = join(dir, "t.db");
  const db = openWal(file);
  db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, pad BLOB)");
  for (let n = 1; n <= 40; n++) db.query("INSERT INTO t VALUES (?, randomblob(2000))").run(n);
  // RESTART makes the next writer start the WAL over from its header with
  // new salts: the old frames stay in the file behind the new ones.
  db.exec("PRAGMA wal_checkpoint(RESTART)");
  for (let n = 41; n <= 42; n++) db.query("INSERT INTO t VALUES (?, randomblob(10))").run(n);
  const copy = crashCopy(dir, file);
  db.close();

  const before = readWalLayout(readFileSync(`${copy}-wal`));
  expect(before.size).toBeGreaterThan(before.committedEnd);
  for (let seed = 1; seed <= 5; seed++) {
    const torn = tearWalTail(`${copy}-wal`, new SeededRandom(seed));
    expect(torn.action).toBe("cut");
    expect(torn.sizeAfter).toBeGreaterThanOrEqual(before.committedEnd);
    expect(torn.sizeAfter).toBeLessThan(torn.sizeBefore);
    if (torn.sizeAfter === before.committedEnd) break;
  }
  expect(rowsIn(copy)).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
});

test("the layout reader stops at a frame whose checksum is broken", () => {
  const dir = freshDir();
  const file = join(dir, "t.db");
  const db = openWal(file);
  db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY)");
  for (let n = 1; n <= 3; n++) db.query("INSERT INTO t VALUES (?)").run(n);
  const copy = crashCopy(dir, file);
  db.close();
  const bytes = readFileSync(`${copy}-wal`);
  const intact = readWalLayout(bytes);
  expect(intact.commits).toBe(4);
  // Flip a byte in the last frame's page: SQLite would ignore that frame, and so must the reader.
  const damaged = Uint8Array.from(bytes);
  const lastByte = damaged.length - 1;
  damaged[lastByte] = (damaged[lastByte] ?? 0) ^ 0xff;
  const layout = readWalLayout(damaged);
  expect(layout.commits).toBe(3);
  expect(layout.committedEnd).toBeLessThan(intact.committedEnd);
});

test("a synchronous=NORMAL WAL loses only commits after the last checkpoint, as a prefix", () => {
  const dir = freshDir();
  const file = join(dir, "t.db");
  const db = openWal(file, "NORMAL");
  db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, pad BLOB)");
  for (let n = 1; n <= 10; n++) db.query("INSERT INTO t VALUES (?, randomblob(100))").run(n);
  // A PASSIVE checkpoint syncs and copies back rows 1..10 without restarting the WAL.
  db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  for (let n = 11; n <= 30; n++) db.query("INSERT INTO t VALUES (?, randomblob(100))").run(n);
  const counts = new Set<number>();
  for (let seed = 1; seed <= 6; seed++) {
    const copy = crashCopy(dir, file);
    const torn = loseUnsyncedCommits(`${copy}-wal`, `${file}-shm`, new SeededRandom(seed));
    expect(torn.action).toBe("lost-unsynced-commits");
    const rows = rowsIn(copy);
    // Never below the checkpoint, always a prefix of what was committed.
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    expect(30 - rows.length).toBe(torn.lostCommits ?? -1);
    counts.add(rows.length);
  }
  db.close();
  // The seeds pick different boundaries: the fault really removes commits.
  expect(counts.size).toBeGreaterThan(1);
});
