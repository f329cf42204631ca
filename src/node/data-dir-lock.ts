import { Database } from "bun:sqlite";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../log/error-message.ts";

/** The lock file and, beside it, the holder's pid (the lock file itself cannot be read while it is held). */
export const LOCK_FILE = "LOCK";
export const LOCK_PID_FILE = "LOCK.pid";

/**
 * One process per data dir. The lock is a small SQLite file held in an
 * exclusive transaction with `locking_mode=EXCLUSIVE` for the process's life:
 * SQLite takes POSIX fcntl locks, which the kernel drops when the process
 * dies however it dies (SIGKILL included), so a crash never leaves a stale
 * lock, unlike a lock file created with O_EXCL; Bun has no flock() of its
 * own, and bun:sqlite is already in every node. A second process (or a
 * second opener in this one: SQLite tracks its own locks per inode) gets
 * SQLITE_BUSY at once (busy timeout 0).
 *
 * The holder must stay referenced: a garbage-collected Database is closed by
 * Bun, which silently drops the lock.
 */
export class DataDirLock {
  private constructor(
    private readonly dataDir: string,
    private db: Database | undefined,
  ) {}

  /** Takes the lock of an existing directory; throws one line naming the holder's pid when another process has it. */
  static acquire(dataDir: string): DataDirLock {
    let db: Database | undefined;
    try {
      db = new Database(join(dataDir, LOCK_FILE), { create: true });
      // The journal stays in memory: nothing is ever committed, and a killed holder leaves no LOCK-journal behind.
      db.exec("PRAGMA journal_mode = MEMORY");
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      db.exec("BEGIN EXCLUSIVE");
    } catch (error) {
      db?.close();
      if (isBusy(error)) {
        throw new Error(`data dir ${dataDir} is in use by another raftkv process${holderOf(dataDir)}: one process per data dir`);
      }
      throw new Error(`cannot lock data dir ${dataDir}: ${errorMessage(error)}`, { cause: error });
    }
    const lock = new DataDirLock(dataDir, db);
    try {
      writeFileSync(join(dataDir, LOCK_PID_FILE), `${process.pid}\n`);
    } catch (error) {
      lock.release();
      throw new Error(`cannot write ${LOCK_PID_FILE} in data dir ${dataDir}: ${errorMessage(error)}`, { cause: error });
    }
    return lock;
  }

  /** Drops the lock; the pid file goes first, while the lock still guards it. Idempotent. */
  release(): void {
    const db = this.db;
    if (db === undefined) return;
    this.db = undefined;
    rmSync(join(this.dataDir, LOCK_PID_FILE), { force: true });
    db.close();
  }
}

function isBusy(error: unknown): boolean {
  return error instanceof Error && "code" in error && (error.code === "SQLITE_BUSY" || error.code === "SQLITE_LOCKED");
}

/** " (pid 1234)" from the holder's pid file, or "" when it cannot be read (the holder is between locking and writing it). */
function holderOf(dataDir: string): string {
  try {
    const pid = readFileSync(join(dataDir, LOCK_PID_FILE), "utf8").trim();
    return /^\d+$/.test(pid) ? ` (pid ${pid})` : "";
  } catch {
    return "";
  }
}
