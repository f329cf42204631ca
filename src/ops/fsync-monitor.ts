import { RateLimitedLog, type WarningSink } from "../log/rate-limited-log.ts";
import { RecentDurations } from "./recent-durations.ts";

export const defaultSlowFsyncMs = 100;

export interface FsyncMonitorOptions {
  /** A commit slower than this logs a warning (default 100 ms). */
  readonly slowMs?: number;
  readonly logger?: WarningSink;
  /** Also told of every duration (the metrics histogram). */
  readonly onFsync?: (ms: number) => void;
  readonly now?: () => number;
}

/**
 * Watches the Raft log's fsync latency, the first thing to look at when a
 * cluster keeps electing leaders ("wal sync duration 2.8s" in etcd's
 * trackers): every duration goes to the metrics and a window for the p99 in
 * `raftkv cluster status`; one slower than the threshold logs a warning
 * with its duration, at most 3 every 10 seconds (the rest are counted and
 * reported with the next one).
 */
export class FsyncMonitor {
  readonly #recent = new RecentDurations();
  readonly #slowMs: number;
  readonly #warnings: RateLimitedLog | undefined;

  constructor(private readonly options: FsyncMonitorOptions = {}) {
    this.#slowMs = options.slowMs ?? defaultSlowFsyncMs;
    const now = options.now ?? (() => performance.now());
    this.#warnings = options.logger === undefined ? undefined : new RateLimitedLog(options.logger, 3, 10_000, now);
  }

  get slowMs(): number {
    return this.#slowMs;
  }

  /** Bound for LogStore.observeCommits. */
  readonly observe = (ms: number): void => {
    this.#recent.record(ms);
    this.options.onFsync?.(ms);
    if (ms > this.#slowMs) {
      this.#warnings?.warn(
        "slow-fsync",
        "slow fsync: the Raft log's commit took longer than the threshold (a slow or overloaded disk delays every write and can cost elections)",
        {
          durationMs: Math.round(ms * 10) / 10,
          thresholdMs: this.#slowMs,
        },
      );
    }
  };

  /** p99 of the last 1024 commits in ms (0 before any). */
  p99Ms(): number {
    return this.#recent.quantile(0.99);
  }
}
