import { create, toBinary } from "@bufbuild/protobuf";
import { BackgroundInterval } from "../engine/background-interval.ts";
import type { Engine } from "../engine/engine.ts";
import type { DbSpace } from "../fsm/db-space.ts";
import type { QuotaAlarm } from "../fsm/kv-types.ts";
import { CommandSchema } from "../gen/raftkv/v1/command_pb.ts";
import type { Logger } from "../log/logger.ts";
import { formatBytes } from "../units/byte-size.ts";

/** etcd's default is 2 GiB (8 GiB its suggested maximum); a SQLite file has no such ceiling, so raftkv starts at 8 GiB. */
export const defaultQuotaBytes = 8 * 1024 ** 3;
const defaultCheckIntervalMs = 1000;

/** What the guard reads (KvStateMachine provides it). */
export interface QuotaStore {
  dbSpace(): DbSpace;
  quotaAlarm(): QuotaAlarm;
}

export interface QuotaGuardOptions {
  readonly quotaBytes: number;
  readonly checkIntervalMs?: number;
  readonly logger?: Pick<Logger, "info" | "warn">;
}

/** What one check did (for tests). */
export type QuotaCheck = "not-leader" | "unchanged" | "raised" | "cleared" | "busy" | "failed";

/**
 * Decides the disk quota alarm. Only the leader acts: once a second it
 * compares its database's size with the quota and, when that crosses the
 * quota either way, proposes an AlarmCommand, so every member raises (and
 * later clears) the alarm at the same log index and refuses the same
 * writes. No operator disarms it: once deletes, history compaction and the
 * background reclaimer have brought the size back under the quota, the
 * leader's next check clears it.
 */
export class QuotaGuard {
  #interval: BackgroundInterval | undefined;
  #inFlight = false;

  constructor(
    private readonly engine: Pick<Engine, "propose" | "status">,
    private readonly store: QuotaStore,
    private readonly options: QuotaGuardOptions,
  ) {
    if (!Number.isSafeInteger(options.quotaBytes) || options.quotaBytes < 1) {
      throw new RangeError(`quota-bytes must be a positive number of bytes, got ${options.quotaBytes}`);
    }
  }

  get quotaBytes(): number {
    return this.options.quotaBytes;
  }

  start(): void {
    this.#interval ??= new BackgroundInterval(this.options.checkIntervalMs ?? defaultCheckIntervalMs, () => void this.check());
    this.#interval.start();
  }

  stop(): void {
    this.#interval?.stop();
  }

  async check(): Promise<QuotaCheck> {
    const status = this.engine.status();
    if (status.role === "shutdown") {
      this.stop();
      return "not-leader";
    }
    if (status.role !== "leader") return "not-leader";
    if (this.#inFlight) return "busy";
    let size: number;
    let alarm: QuotaAlarm;
    try {
      size = this.store.dbSpace().sizeBytes;
      alarm = this.store.quotaAlarm();
    } catch {
      // The state machine may be closing under a late tick.
      return "failed";
    }
    const over = size > this.options.quotaBytes;
    // A changed quota (a new leader with another --quota-bytes) is re-announced while the alarm is up.
    if (over === alarm.active && (!over || alarm.quotaBytes === this.options.quotaBytes)) return "unchanged";
    this.#inFlight = true;
    try {
      const command = create(CommandSchema, {
        op: {
          case: "alarm",
          value: { active: over, usedBytes: BigInt(size), quotaBytes: BigInt(this.options.quotaBytes), memberId: status.id },
        },
      });
      const applied = await this.engine.propose(toBinary(CommandSchema, command));
      if (applied.result.kind !== "alarm") return "failed";
      const fields = { dbSizeBytes: size, dbSize: formatBytes(size), quotaBytes: this.options.quotaBytes, index: applied.index };
      if (over) this.options.logger?.warn("database space exceeded: the quota alarm is raised; writes that grow the store are refused", fields);
      else this.options.logger?.info("the database is back under its quota: the quota alarm is cleared", fields);
      return over ? "raised" : "cleared";
    } catch {
      // Lost leadership or shutting down: the next leader's check decides again.
      return "failed";
    } finally {
      this.#inFlight = false;
    }
  }
}
