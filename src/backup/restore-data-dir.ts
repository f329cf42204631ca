import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { ensureIncarnation, randomId } from "../engine/bootstrap.ts";
import { errorMessage } from "../log/error-message.ts";
import { DataDirLock } from "../node/data-dir-lock.ts";
import { RAFT_LOG_FILE } from "../node/node-data-dir.ts";
import { recordNodeId } from "../node/node-identity.ts";
import type { Member } from "../raft/membership.ts";
import { encodeMembers } from "../raft/membership-codec.ts";
import { RaftLogStore } from "../storage/raft-log-store.ts";
import { FileSnapshotStore } from "../storage/snapshot-store.ts";
import { type BackupHeader, verifyBackupFile } from "./backup-format.ts";
import { defaultIndexBump } from "./index-bump.ts";

export interface RestoreOptions {
  readonly file: string;
  readonly dataDir: string;
  /** The restored cluster's first member. */
  readonly id: string;
  readonly raftAddress: string;
  readonly clientAddress: string;
  /** Entries the index moves up by; default defaultIndexBump (0 keeps the backup's index: only for a cluster that never ran past it). */
  readonly bumpIndex?: number;
  readonly nowUnixMs?: number;
}

export interface RestoreResult {
  readonly header: BackupHeader;
  readonly clusterId: string;
  /** The restored cluster's index; everything before it reads as compacted. */
  readonly index: number;
  readonly bump: number;
}

const utf8 = new TextEncoder();

/**
 * Seeds a new data dir from a backup, as the first member of a new cluster
 * (etcdutl snapshot restore): a new cluster id and incarnation, a
 * membership of this one node, the index moved up by `bump` (the log is
 * compacted through it and the watch history starts after it, so a client
 * resuming from an index of the old cluster is told `compacted`), the quota
 * alarm cleared. The state machine becomes a snapshot the log records, which
 * `raftkv serve` restores at its first start; grow the cluster with --join.
 */
export async function restoreDataDir(options: RestoreOptions): Promise<RestoreResult> {
  const { header, dataOffset } = await verifyBackupFile(options.file);
  const bump = options.bumpIndex ?? defaultIndexBump(header.createdAtUnixMs, options.nowUnixMs ?? Date.now());
  if (!Number.isSafeInteger(bump) || bump < 0) throw new Error(`--bump-index: must be a non-negative integer, got ${bump}`);
  const index = header.index + bump;
  if (!Number.isSafeInteger(index + 1)) throw new Error(`--bump-index: the index ${header.index} + ${bump} is over ${Number.MAX_SAFE_INTEGER}`);
  const term = Math.max(1, header.term);
  checkEmpty(options.dataDir);
  // A failed restore leaves the data dir as it found it: absent (whole tree removed) or empty.
  const created = mkdirSync(options.dataDir, { recursive: true });
  const lock = DataDirLock.acquire(options.dataDir);
  let done = false;
  try {
    const logStore = RaftLogStore.open(join(options.dataDir, RAFT_LOG_FILE));
    try {
      const clusterId = randomId();
      const incarnation = ensureIncarnation(logStore, randomId);
      const member: Member = { id: options.id, suffrage: "voter", raftAddress: options.raftAddress, clientAddress: options.clientAddress, incarnation };
      const store = FileSnapshotStore.open(join(options.dataDir, "snapshots"));
      const temp = store.tempPath();
      try {
        await extractDatabase(options.file, dataOffset, temp);
        rewriteForNewCluster(temp, index, term, member);
        const meta = await store.importFile(temp, { index, term, membership: { index, members: [member] } });
        logStore.setMeta("cluster_id", utf8.encode(clusterId));
        recordNodeId(logStore, options.id);
        // One durable step: the snapshot recorded, the log compacted through it, the hard state at it.
        logStore.installSnapshot({ index: meta.index, term: meta.term }, { term, vote: "", commit: index });
      } catch (error) {
        store.discard(temp);
        throw error;
      }
      done = true;
      return { header, clusterId, index, bump };
    } finally {
      logStore.close();
    }
  } finally {
    if (!done) for (const name of readdirSync(options.dataDir)) rmSync(join(options.dataDir, name), { recursive: true, force: true });
    lock.release();
    if (!done && created !== undefined) rmSync(created, { recursive: true, force: true });
  }
}

function checkEmpty(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  if (!statSync(dataDir).isDirectory()) throw new Error(`--data-dir: ${dataDir} exists and is not a directory`);
  const entries = readdirSync(dataDir);
  if (entries.length > 0) {
    throw new Error(
      `--data-dir: ${dataDir} is not empty (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", ..." : ""}); a restore seeds a new data dir`,
    );
  }
}

async function extractDatabase(file: string, offset: number, target: string): Promise<void> {
  const source = await open(file, "r");
  try {
    const output = await open(target, "wx");
    try {
      const buffer = new Uint8Array(1 << 20);
      let position = offset;
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        await output.write(buffer.subarray(0, bytesRead));
        position += bytesRead;
      }
      await output.sync();
    } finally {
      await output.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * The copy becomes the new cluster's state at `index`: the old cluster's
 * watch history goes (it would replay events at indexes the new cluster
 * never had), the history starts after `index`, the membership is the new
 * member alone, the alarm is cleared. Then a VACUUM compacts it and keeps
 * incremental auto-vacuum on.
 */
function rewriteForNewCluster(path: string, index: number, term: number, member: Member): void {
  const db = new Database(path, { readwrite: true, create: false });
  try {
    db.query("SELECT key FROM kv LIMIT 1").get();
    db.transaction(() => {
      db.run("DELETE FROM history");
      db.run("UPDATE history_state SET compact_index = ? WHERE id = 1", [index + 1]);
      db.run("UPDATE fsm_state SET applied_index = ?, applied_term = ? WHERE id = 1", [index, term]);
      db.run(
        `INSERT INTO fsm_config (id, config_index, config_term, config_data) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET config_index = excluded.config_index, config_term = excluded.config_term, config_data = excluded.config_data`,
        [index, term, encodeMembers([member])],
      );
      // Recreated empty when the node opens it (and absent from backups of older raftkv versions).
      db.run("DROP TABLE IF EXISTS quota_alarm");
    })();
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    db.exec("VACUUM");
  } catch (error) {
    throw new Error(`the backup's database cannot be restored: ${errorMessage(error)}`, { cause: error });
  } finally {
    db.close();
  }
}
