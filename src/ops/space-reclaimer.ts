import { BackgroundInterval } from "../engine/background-interval.ts";
import type { DbSpace } from "../fsm/db-space.ts";

/** What the reclaimer works on (KvStateMachine provides it). */
export interface ReclaimableStore {
  dbSpace(): DbSpace;
  /** Frees up to maxPages free pages in one short write transaction; returns how many it freed. */
  reclaimSpace(maxPages: number): number;
}

/** One step's measurements, for metrics. */
export interface ReclaimStep {
  readonly pages: number;
  readonly bytes: number;
  /** How long the step held the event loop (and the database's write lock). */
  readonly ms: number;
}

export interface SpaceReclaimerOptions {
  /** Time between steps while there is space to give back (default 50 ms). */
  readonly intervalMs?: number;
  /** A step should hold the event loop no longer than this (default 2 ms); its size adapts to stay under. */
  readonly targetPauseMs?: number;
  readonly onStep?: (step: ReclaimStep) => void;
  readonly now?: () => number;
}

const MIN_PAGES = 8;
const MAX_PAGES = 4096;

/**
 * Gives the state machine's free pages (left by deletes and history
 * compaction) back to the file system in the background: SQLite's
 * incremental vacuum, a few hundred pages at a time between applies, never
 * etcd's stop-the-world defragmentation. Each step runs on the event loop
 * (bun:sqlite is synchronous) and holds it for one short write transaction;
 * the step size halves when a step took longer than the target and doubles
 * when it was well under, so a slow disk gets smaller steps. The longest
 * pause seen is kept for the operator (metrics, cluster status).
 */
export class SpaceReclaimer {
  #interval: BackgroundInterval | undefined;
  #pages = 64;
  #longestPauseMs = 0;
  #reclaimedBytes = 0;
  readonly #intervalMs: number;
  readonly #targetMs: number;
  readonly #now: () => number;

  constructor(
    private readonly store: ReclaimableStore,
    private readonly options: SpaceReclaimerOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 50;
    this.#targetMs = options.targetPauseMs ?? 2;
    this.#now = options.now ?? (() => performance.now());
  }

  start(): void {
    this.#interval ??= new BackgroundInterval(this.#intervalMs, () => this.step());
    this.#interval.start();
  }

  stop(): void {
    this.#interval?.stop();
  }

  /** The longest single step so far, in ms: how long reclaiming space ever paused reads and writes. */
  get longestPauseMs(): number {
    return this.#longestPauseMs;
  }

  get reclaimedBytes(): number {
    return this.#reclaimedBytes;
  }

  /** One step, if there is anything free; undefined when there was nothing to do (or the store is closed). */
  step(): ReclaimStep | undefined {
    let space: DbSpace;
    try {
      space = this.store.dbSpace();
    } catch {
      // Closing under a late timer tick: nothing to reclaim any more.
      this.stop();
      return undefined;
    }
    if (space.freePages === 0) return undefined;
    const asked = Math.min(this.#pages, space.freePages);
    const started = this.#now();
    const pages = this.store.reclaimSpace(asked);
    const ms = this.#now() - started;
    this.#adapt(ms, pages === asked);
    this.#longestPauseMs = Math.max(this.#longestPauseMs, ms);
    const step = { pages, bytes: pages * space.pageSize, ms };
    this.#reclaimedBytes += step.bytes;
    this.options.onStep?.(step);
    return step;
  }

  #adapt(ms: number, full: boolean): void {
    if (ms > this.#targetMs) this.#pages = Math.max(MIN_PAGES, Math.floor(this.#pages / 2));
    else if (full && ms < this.#targetMs / 4) this.#pages = Math.min(MAX_PAGES, this.#pages * 2);
  }
}
