import { create, toBinary } from "@bufbuild/protobuf";
import { BackgroundInterval } from "../../engine/background-interval.ts";
import type { Engine } from "../../engine/engine.ts";
import { CommandSchema } from "../../gen/raftkv/v1/command_pb.ts";
import { RateLimitedLog, type WarningSink } from "../../log/rate-limited-log.ts";

export const defaultHistoryRetentionEntries = 100_000;
const defaultCheckIntervalMs = 5_000;

/** The history bounds the compactor reads (KvStateMachine provides them). */
export interface HistoryBounds {
  compactIndex(): number;
  appliedIndex(): number;
}

export interface HistoryCompactorOptions {
  /** Watch replay keeps the history of the last this many log indexes. */
  readonly retentionEntries: number;
  readonly checkIntervalMs?: number;
  readonly logger?: WarningSink;
}

/** What one check did (for tests and logs). */
export type CompactionCheck =
  | { readonly kind: "not-leader" }
  | { readonly kind: "within-window" }
  | { readonly kind: "busy" }
  | { readonly kind: "compacted"; readonly compactIndex: number }
  | { readonly kind: "failed"; readonly error: string };

/**
 * Keeps the per-key history to a window of log indexes. Only the leader acts:
 * when history reaches further back than the window (plus a tenth of it, so
 * compactions come in batches rather than one per write) it proposes a compact
 * command, so every replica drops the same history at the same log index and
 * a Watch asking for older indexes gets WatchCompacted naming the oldest one
 * kept. Followers just apply what the leader proposed.
 */
export class HistoryCompactor {
  readonly #warnings: RateLimitedLog | undefined;
  #interval: BackgroundInterval | undefined;
  #inFlight = false;

  constructor(
    private readonly engine: Pick<Engine, "propose" | "status">,
    private readonly bounds: HistoryBounds,
    private readonly options: HistoryCompactorOptions,
  ) {
    if (!Number.isSafeInteger(options.retentionEntries) || options.retentionEntries < 1) {
      throw new RangeError(`history retention must be a positive number of entries, got ${options.retentionEntries}`);
    }
    this.#warnings = options.logger === undefined ? undefined : new RateLimitedLog(options.logger, 1, 60_000, () => performance.now());
  }

  start(): void {
    this.#interval ??= new BackgroundInterval(this.options.checkIntervalMs ?? defaultCheckIntervalMs, () => void this.check());
    this.#interval.start();
  }

  stop(): void {
    this.#interval?.stop();
  }

  /** The compact index the window asks for now: everything before the last `retentionEntries` indexes goes. */
  target(): number {
    return this.bounds.appliedIndex() - this.options.retentionEntries + 1;
  }

  /**
   * History may outgrow the window by this many indexes before a compaction
   * is proposed. At least 2: the compact entry is itself an index, and with a
   * slack of 1 every compaction would call for the next one.
   */
  slack(): number {
    return Math.max(2, Math.ceil(this.options.retentionEntries / 10));
  }

  async check(): Promise<CompactionCheck> {
    const role = this.engine.status().role;
    if (role === "shutdown") {
      this.stop();
      return { kind: "not-leader" };
    }
    if (role !== "leader") return { kind: "not-leader" };
    if (this.#inFlight) return { kind: "busy" };
    let target: number;
    try {
      target = this.target();
      if (target - this.bounds.compactIndex() < this.slack()) return { kind: "within-window" };
    } catch (error) {
      // The state machine may be closing under a late tick.
      return { kind: "failed", error: String(error) };
    }
    this.#inFlight = true;
    try {
      const command = toBinary(CommandSchema, create(CommandSchema, { op: { case: "compact", value: { index: BigInt(target) } } }));
      const applied = await this.engine.propose(command);
      if (applied.result.kind === "compact") return { kind: "compacted", compactIndex: applied.result.compactIndex };
      const detail = applied.result.kind === "error" ? applied.result.message : `a ${applied.result.kind} result`;
      this.#warnings?.warn("refused", "history compaction refused", { target, detail });
      return { kind: "failed", error: detail };
    } catch (error) {
      // Lost leadership or shutting down: the next leader's check takes over.
      return { kind: "failed", error: String(error) };
    } finally {
      this.#inFlight = false;
    }
  }
}
