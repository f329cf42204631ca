import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { hasData } from "../engine/bootstrap.ts";
import { RaftLogStore } from "../storage/raft-log-store.ts";
import { DataDirLock } from "./data-dir-lock.ts";
import { checkNodeId, recordNodeId } from "./node-identity.ts";

export const RAFT_LOG_FILE = "raft.db";

/** What a start that found no Raft log must undo if it fails. */
interface FirstStart {
  /** Names in the directory before this start; undefined when the directory did not exist. */
  readonly entriesBefore: ReadonlySet<string> | undefined;
  /** The outermost directory this start created (mkdir -p), removed whole on failure. */
  created: string | undefined;
}

/**
 * A node's data dir for the life of its process: locked (one process per
 * data dir), bound to the node id its log was written under, and left as it
 * was when a start fails. The lock is taken first when the directory exists,
 * so a second process on a running node's dir fails on the lock and not on
 * a port; a directory that does not exist is created only by `openLog()`,
 * which a start calls once its ports are bound and a join found its cluster.
 */
export class NodeDataDir {
  private lock: DataDirLock | undefined;
  private log: RaftLogStore | undefined;

  private constructor(
    readonly path: string,
    private readonly nodeId: string,
    /** Set when the directory held no Raft log: a failed start then removes what it created. */
    private readonly firstStart: FirstStart | undefined,
  ) {}

  /**
   * Locks an existing data dir and, when it holds a Raft log, opens it and
   * refuses it if it belongs to another node id. Creates nothing when the
   * directory does not exist. Throws one line; nothing is left held.
   */
  static claim(path: string, nodeId: string): NodeDataDir {
    const existed = existsSync(path);
    if (existed && !statSync(path).isDirectory()) throw new Error(`data dir ${path} exists and is not a directory`);
    const hadLog = existed && existsSync(join(path, RAFT_LOG_FILE));
    const firstStart = hadLog ? undefined : { entriesBefore: existed ? new Set(readdirSync(path)) : undefined, created: undefined };
    const dir = new NodeDataDir(path, nodeId, firstStart);
    try {
      if (existed) dir.lock = DataDirLock.acquire(path);
      if (hadLog) {
        dir.log = RaftLogStore.open(join(path, RAFT_LOG_FILE));
        checkNodeId(dir.log, nodeId, path);
      }
    } catch (error) {
      dir.abandon();
      throw error;
    }
    return dir;
  }

  /** True when the directory already holds Raft state: the node rejoins its cluster from it (no bootstrap, no join). */
  hasRaftState(): boolean {
    return this.log !== undefined && hasData(this.log);
  }

  /** Creates the directory if needed, locks it, opens (or creates) raft.db and records the node id in it. */
  openLog(): RaftLogStore {
    if (this.log === undefined) {
      if (this.firstStart !== undefined && this.firstStart.entriesBefore === undefined) {
        // mkdirSync says which directory it created first: that one goes on failure, parents included.
        this.firstStart.created = mkdirSync(this.path, { recursive: true });
      }
      this.lock ??= DataDirLock.acquire(this.path);
      this.log = RaftLogStore.open(join(this.path, RAFT_LOG_FILE));
    }
    recordNodeId(this.log, this.nodeId);
    return this.log;
  }

  /** After a clean stop (the engine and state machine closed): closes the log and releases the lock. */
  close(): void {
    this.log?.close();
    this.lock?.release();
  }

  /**
   * After a failed start: closes the log and, when the directory held no log
   * before, removes what this start created (all of it when it created the
   * directory), under the lock, so a later `--join` or `--initial-cluster`
   * finds it as it was. A directory this process could not lock is not
   * touched: another process owns it.
   */
  abandon(): void {
    this.log?.close();
    const firstStart = this.firstStart;
    if (this.lock !== undefined && firstStart !== undefined) {
      if (firstStart.created !== undefined) {
        rmSync(firstStart.created, { recursive: true, force: true });
      } else if (firstStart.entriesBefore !== undefined) {
        for (const name of readdirSync(this.path)) {
          if (!firstStart.entriesBefore.has(name)) rmSync(join(this.path, name), { recursive: true, force: true });
        }
      }
    }
    this.lock?.release();
  }
}
