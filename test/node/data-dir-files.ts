import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A value of raft.db's meta table as text, read beside a running node if need be (WAL allows a reader). */
export function raftMeta(dataDir: string, key: string): string | undefined {
  const db = new Database(join(dataDir, "raft.db"), { readonly: true });
  try {
    const row = db.query<{ value: Uint8Array }, [string]>("SELECT value FROM meta WHERE key = ?").get(key);
    return row === null ? undefined : new TextDecoder().decode(row.value);
  } finally {
    db.close();
  }
}

/** Removes a meta key, as in a data dir written before the key existed (the node must be stopped). */
export function deleteRaftMeta(dataDir: string, key: string): void {
  const db = new Database(join(dataDir, "raft.db"));
  try {
    db.run("DELETE FROM meta WHERE key = ?", [key]);
  } finally {
    db.close();
  }
}

/**
 * The names in a data dir and the bytes of its databases: equal fingerprints
 * mean nothing changed. SQLite's -wal and -shm files are left out: a reader
 * (raftMeta) may leave them behind, and the next writer to close removes them.
 */
export function fingerprint(dataDir: string): string {
  if (!existsSync(dataDir)) return "(absent)";
  const names = readdirSync(dataDir)
    .filter((name) => !name.endsWith("-wal") && !name.endsWith("-shm"))
    .sort();
  const hashes = names
    .filter((name) => name.endsWith(".db"))
    .map(
      (name) =>
        `${name}=${createHash("sha256")
          .update(readFileSync(join(dataDir, name)))
          .digest("hex")}`,
    );
  return [...names, ...hashes].join("\n");
}
