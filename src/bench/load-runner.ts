import { SeededRandom } from "../random/seeded-random.ts";
import type { AckLog } from "./ack-log.ts";
import { errorLabel } from "./error-label.ts";
import { KeySpace } from "./key-space.ts";
import type { KvTarget } from "./kv-target.ts";
import { LatencyHistogram } from "./latency-histogram.ts";
import { describeMode, type LoadOptions } from "./load-options.ts";
import type { LoadResult } from "./load-result.ts";
import { type Operation, OperationSource } from "./operation.ts";
import { describeWorkload } from "./workload.ts";
import { writeValue } from "./write-value.ts";

/**
 * Drives one workload against one target and measures it. Every write goes
 * through the AckLog so it can be verified after the run.
 */
export class LoadRunner {
  private readonly keys: KeySpace;
  private readonly operations: OperationSource;
  private readonly histogram = new LatencyHistogram();
  private readonly errorKinds: Record<string, number> = {};
  private started = 0;
  private succeeded = 0;
  private errors = 0;
  private skipped = 0;
  private acknowledged = 0;
  private deadline = Number.POSITIVE_INFINITY;

  constructor(
    private readonly target: KvTarget,
    private readonly options: LoadOptions,
    private readonly ackLog: AckLog,
  ) {
    if (options.requests === undefined && options.durationMs === undefined) {
      throw new Error("a load run needs a request count or a duration");
    }
    this.keys = new KeySpace(options.keyPrefix, options.keySpaceSize);
    this.operations = new OperationSource(options.workload, this.keys, new SeededRandom(options.seed));
  }

  /** Counts so far, for a live progress line (cheap: no percentiles). */
  progress(): { readonly succeeded: number; readonly errors: number; readonly elapsedSeconds: number } {
    const elapsedSeconds = this.startedAt === 0 ? 0 : (performance.now() - this.startedAt) / 1000;
    return { succeeded: this.succeeded, errors: this.errors, elapsedSeconds };
  }

  private startedAt = 0;

  async run(): Promise<LoadResult> {
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    this.startedAt = startedAt;
    if (this.options.durationMs !== undefined) this.deadline = startedAt + this.options.durationMs;
    const mode = this.options.mode;
    switch (mode.kind) {
      case "closed":
        await this.runClosed(mode.inFlight);
        break;
      case "open":
        await this.runOpen(mode.ratePerSecond, mode.maxInFlight);
        break;
      default: {
        const unknown: never = mode;
        throw new Error(`unknown load mode ${JSON.stringify(unknown)}`);
      }
    }
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const result: LoadResult = {
      workload: describeWorkload(this.options.workload),
      mode: describeMode(mode),
      succeeded: this.succeeded,
      errors: this.errors,
      errorKinds: { ...this.errorKinds },
      skipped: this.skipped,
      elapsedSeconds,
      throughput: elapsedSeconds > 0 ? this.succeeded / elapsedSeconds : 0,
      latency: this.histogram.summary(),
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      acknowledgedWrites: this.acknowledged,
    };
    this.histogram.destroy();
    return result;
  }

  private mayStart(now: number): boolean {
    const limit = this.options.requests;
    return (limit === undefined || this.started < limit) && now < this.deadline;
  }

  private async runClosed(inFlight: number): Promise<void> {
    const worker = async (): Promise<void> => {
      while (this.mayStart(performance.now())) {
        this.started++;
        const sentAt = performance.now();
        await this.execute(this.operations.next(), sentAt);
      }
    };
    const workers: Promise<void>[] = [];
    for (let i = 0; i < Math.max(1, inFlight); i++) workers.push(worker());
    await Promise.all(workers);
  }

  private async runOpen(ratePerSecond: number, maxInFlight: number): Promise<void> {
    const interval = 1000 / ratePerSecond;
    const pending = new Set<Promise<void>>();
    let scheduled = performance.now();
    while (this.mayStart(scheduled)) {
      const now = performance.now();
      while (scheduled <= now && this.mayStart(scheduled)) {
        this.started++;
        if (pending.size >= maxInFlight) {
          this.skipped++;
        } else {
          // Latency counts from the scheduled time, not from when the
          // event loop got round to sending.
          const request = this.execute(this.operations.next(), scheduled).finally(() => pending.delete(request));
          pending.add(request);
        }
        scheduled += interval;
      }
      await Bun.sleep(Math.max(0, scheduled - performance.now()));
    }
    await Promise.all(pending);
  }

  private async execute(operation: Operation, sentAt: number): Promise<void> {
    try {
      await this.send(operation, sentAt);
      this.succeeded++;
      this.histogram.recordMs(performance.now() - sentAt);
    } catch (error) {
      this.errors++;
      const label = errorLabel(error);
      this.errorKinds[label] = (this.errorKinds[label] ?? 0) + 1;
    }
  }

  private async send(operation: Operation, sentAt: number): Promise<void> {
    switch (operation.kind) {
      case "put": {
        const keyText = this.keys.keyText(operation.keyIndex);
        const sequence = this.ackLog.begin(keyText, this.options.valueSize, sentAt);
        await this.target.put(this.keys.key(operation.keyIndex), writeValue(sequence, this.options.valueSize));
        this.ackLog.acknowledge(sequence, performance.now());
        this.acknowledged++;
        return;
      }
      case "get":
        await this.target.get(this.keys.key(operation.keyIndex), operation.read);
        return;
      case "range": {
        const last = Math.min(operation.firstIndex + operation.count, this.keys.size);
        await this.target.range(
          this.keys.key(operation.firstIndex),
          last < this.keys.size ? this.keys.key(last) : this.keys.end(),
          operation.count,
          operation.read,
        );
        return;
      }
      default: {
        const unknown: never = operation;
        throw new Error(`unknown operation ${JSON.stringify(unknown)}`);
      }
    }
  }
}

/** Runs one workload against one target. */
export function runLoad(target: KvTarget, options: LoadOptions, ackLog: AckLog): Promise<LoadResult> {
  return new LoadRunner(target, options, ackLog).run();
}
