import { errorMessage } from "../log/error-message.ts";
import type { Logger } from "../log/logger.ts";
import type { SnapshotMeta } from "../storage/snapshot-meta.ts";
import type { LogStore } from "./log-store.ts";
import { snapshotStateMachine } from "./snapshot-copy.ts";
import type { SnapshotFiles } from "./snapshot-files.ts";
import type { StateMachine } from "./state-machine.ts";

export interface RaftSnapshotOptions {
  readonly store: SnapshotFiles;
  /** A check takes a snapshot only when at least this many entries were applied since the last one (default 8192). */
  readonly thresholdEntries?: number;
  /** Checks come at a random time between this and twice this after the previous one (default 120 s). */
  readonly intervalMs?: number;
  /** Log entries kept below a snapshot for slow followers (default 10240). */
  readonly trailingLogs?: number;
  /** Bytes per InstallSnapshot chunk (default 256 KiB). */
  readonly chunkBytes?: number;
  /**
   * The newest snapshot the log vouches for that verified (see
   * recoverOnStart), null when none did (a corrupt one must never be
   * offered); when omitted, none.
   */
  readonly latest?: SnapshotMeta | null;
}

/**
 * Takes snapshots of the state machine while applies continue (the copy runs
 * in a Worker), one at a time, and remembers the newest one the node holds
 * (taken or received): the core reads it through the storage adapter.
 *
 * When, in hashicorp/raft's meaning of its knobs: a check comes at a random
 * time between the interval and twice the interval after the previous one
 * (so the members of a cluster do not all copy their state at once), and
 * takes a snapshot when at least the threshold of entries was applied since
 * the last one. A copy costs time in proportion to the whole state, so it is
 * paced by the clock, not by every few thousand writes; the state machine is
 * durable on its own, so nothing waits for a snapshot to be safe.
 */
export class RaftSnapshotter {
  readonly store: SnapshotFiles;
  private readonly thresholdEntries: number;
  private readonly intervalMs: number;
  private latestMeta: SnapshotMeta | undefined;
  private inFlight: Promise<void> | undefined;
  private nextCheckAtMs: number | undefined;
  private blocked = false;

  constructor(
    options: RaftSnapshotOptions,
    private readonly stateMachine: StateMachine<unknown>,
    private readonly logStore: LogStore,
    /** Called once a snapshot is durable and recorded, with how long it took (ms) and its size. */
    private readonly onTaken: (index: number, taken: { durationMs: number; bytes: number }) => void,
    private readonly logger: Logger | undefined,
    /** In [0, 1): staggers the checks. */
    private readonly random: () => number,
    /** The engine's clock (the scheduler's), for the duration reported to onTaken. */
    private readonly now: () => number = () => 0,
  ) {
    this.store = options.store;
    this.thresholdEntries = options.thresholdEntries ?? 8192;
    this.intervalMs = options.intervalMs ?? 120_000;
    this.latestMeta = options.latest ?? undefined;
  }

  latest(): SnapshotMeta | undefined {
    return this.latestMeta;
  }

  /** A snapshot that was received and installed becomes the newest one. */
  setLatest(meta: SnapshotMeta): void {
    if (this.latestMeta === undefined || meta.index >= this.latestMeta.index) this.latestMeta = meta;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** While set (a received snapshot waits to be installed), no snapshot is started: restore refuses to run beside one. */
  setBlocked(blocked: boolean): void {
    this.blocked = blocked;
  }

  /** At a check that is due: starts a snapshot if enough was applied since the last one and none is running. */
  maybeTake(nowMs: number): void {
    if (this.nextCheckAtMs === undefined) this.nextCheckAtMs = nowMs + this.staggeredIntervalMs();
    if (nowMs < this.nextCheckAtMs || this.inFlight !== undefined || this.blocked) return;
    this.nextCheckAtMs = nowMs + this.staggeredIntervalMs();
    const since = this.stateMachine.appliedIndex() - (this.latestMeta?.index ?? 0);
    if (since < this.thresholdEntries) return;
    this.inFlight = this.take().finally(() => {
      this.inFlight = undefined;
    });
  }

  private staggeredIntervalMs(): number {
    return this.intervalMs * (1 + this.random());
  }

  /**
   * Takes a snapshot now (the operator's Snapshot call) and resolves with the
   * index it covers. One already running is awaited first; when nothing was
   * applied since the newest snapshot, that one is the answer.
   */
  async takeNow(): Promise<number> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.inFlight;
      const latest = this.latestMeta?.index ?? 0;
      if (latest > 0 && latest >= this.stateMachine.appliedIndex()) return latest;
      if (this.blocked) throw new Error("a snapshot received from the leader is being installed; retry shortly");
      if (this.inFlight !== undefined) continue;
      this.inFlight = this.take().finally(() => {
        this.inFlight = undefined;
      });
      await this.inFlight;
      const taken = this.latestMeta?.index ?? 0;
      if (taken > latest) return taken;
      throw new Error("taking the snapshot failed (see the node's log)");
    }
    throw new Error("another snapshot kept running; retry shortly");
  }

  /** Resolves once no snapshot is being taken. */
  async idle(): Promise<void> {
    await this.inFlight;
  }

  private async take(): Promise<void> {
    const startedAt = this.now();
    try {
      const meta = await snapshotStateMachine(this.store, this.stateMachine);
      // The file is durable; from this write on the log vouches for it (a crash before leaves an orphan, removed at start).
      this.logStore.recordSnapshot({ index: meta.index, term: meta.term });
      this.setLatest(meta);
      this.logger?.debug("snapshot taken", { index: meta.index, term: meta.term, bytes: meta.size });
      this.onTaken(meta.index, { durationMs: this.now() - startedAt, bytes: meta.size });
    } catch (error) {
      this.logger?.error("taking a snapshot failed", { error: errorMessage(error) });
    }
  }
}
