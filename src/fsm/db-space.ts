import type { Database } from "bun:sqlite";

/** How much of a SQLite file is used, as SQLite sees it (the WAL's changes included). */
export interface DbSpace {
  /** The database's size: page count × page size (what the file shrinks or grows to at the next checkpoint). */
  readonly sizeBytes: number;
  /** Pages holding data: the size less the free pages, which a vacuum gives back to the file system. */
  readonly inUseBytes: number;
  readonly pageSize: number;
  readonly freePages: number;
}

interface SpaceRow {
  page_count: number;
  freelist_count: number;
  page_size: number;
}

/** Three pragmas on the open connection: no scan, cheap enough for every scrape. */
export function readDbSpace(db: Database): DbSpace {
  const row = db.query("SELECT * FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()").get() as SpaceRow | null;
  if (row === null) throw new Error("SQLite answered no page count");
  return {
    sizeBytes: row.page_count * row.page_size,
    inUseBytes: (row.page_count - row.freelist_count) * row.page_size,
    pageSize: row.page_size,
    freePages: row.freelist_count,
  };
}

/**
 * Gives up to `maxPages` free pages back to the file system (the database
 * must use incremental auto-vacuum). One short write transaction on the
 * caller's connection; returns how many pages it freed.
 */
export function reclaimFreePages(db: Database, maxPages: number): number {
  if (!Number.isSafeInteger(maxPages) || maxPages < 1) throw new RangeError(`maxPages must be a positive integer, got ${maxPages}`);
  const before = readDbSpace(db).freePages;
  if (before === 0) return 0;
  db.run(`PRAGMA incremental_vacuum(${maxPages})`);
  return before - readDbSpace(db).freePages;
}

/** SQLite's auto_vacuum codes: 0 none, 1 full, 2 incremental. */
const INCREMENTAL = 2;

/**
 * Makes sure the file uses incremental auto-vacuum. A file created by an
 * older raftkv (auto_vacuum none) is converted once, by a full VACUUM: it
 * blocks for as long as rewriting the file takes, so the caller says so in
 * its log. Returns true when it converted the file.
 */
export function ensureIncrementalVacuum(db: Database): boolean {
  const row = db.query("PRAGMA auto_vacuum").get() as { auto_vacuum: number } | null;
  if (row?.auto_vacuum === INCREMENTAL) return false;
  db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  db.exec("VACUUM");
  return true;
}
