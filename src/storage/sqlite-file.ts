import { Database } from "bun:sqlite";
import { errorMessage } from "../log/error-message.ts";

/**
 * How hard a commit waits for the disk.
 * - "full": the WAL is fsynced at every commit; a returned commit survives power loss.
 * - "normal": the WAL is fsynced only at checkpoints; a commit survives a process
 *   crash (it is in the OS page cache) but the newest commits can be lost on power
 *   loss. The database is never corrupted either way.
 */
export type SyncLevel = "full" | "normal";

/**
 * Opens (creating if needed) a SQLite file in WAL mode. WAL lets a reader (a
 * snapshot copy, a read-only connection) run beside the single writer without
 * blocking it.
 */
export interface WalDatabaseOptions {
  /** Page cache size in KiB (SQLite's default is 2000). */
  readonly cacheKiB?: number;
  /** WAL size in pages that triggers an automatic checkpoint (SQLite's default is 1000). */
  readonly walAutocheckpointPages?: number;
  /**
   * "incremental": free pages stay in the file until `PRAGMA
   * incremental_vacuum` returns them, in steps as small as the caller likes.
   * Takes effect only on a new file (set before WAL mode, which creates it).
   */
  readonly autoVacuum?: "incremental";
}

export function openWalDatabase(path: string, sync: SyncLevel, options: WalDatabaseOptions = {}): Database {
  const db = new Database(path, { create: true, strict: true });
  try {
    // Before WAL mode: switching to WAL writes the file's first page, after which auto_vacuum is fixed.
    if (options.autoVacuum === "incremental") db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    const mode = db.query("PRAGMA journal_mode = WAL").get() as { journal_mode?: string } | null;
    if (mode?.journal_mode?.toLowerCase() !== "wal") {
      throw new Error(`could not switch to WAL mode (got ${String(mode?.journal_mode)})`);
    }
    db.exec(`PRAGMA synchronous = ${sync === "full" ? "FULL" : "NORMAL"}`);
    // Another connection of this process (the snapshot reader) may hold a lock briefly.
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA foreign_keys = OFF");
    if (options.cacheKiB !== undefined) db.exec(`PRAGMA cache_size = -${Math.floor(options.cacheKiB)}`);
    if (options.walAutocheckpointPages !== undefined) {
      db.exec(`PRAGMA wal_autocheckpoint = ${Math.floor(options.walAutocheckpointPages)}`);
    }
    return db;
  } catch (err) {
    db.close();
    throw new Error(`opening SQLite database ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
