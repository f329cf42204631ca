import { EngineError } from "./engine-error.ts";
import type { Scheduler, TimerHandle } from "./scheduler.ts";

/**
 * One caller waiting for the engine: settles exactly once, by the engine, by
 * its deadline, or by its AbortSignal. Once settled by a deadline or abort,
 * the engine's later settle is ignored (the engine checks `settled` to drop
 * work nobody waits for).
 */
export class RaftWaiter<T> {
  readonly promise: Promise<T>;
  /** The scheduler's now() at creation: how long a caller has waited for a leader. */
  readonly startedAtMs: number;
  settled = false;
  private resolveFn!: (value: T) => void;
  private rejectFn!: (error: Error) => void;
  private readonly timer: TimerHandle;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => {
    this.reject(new EngineError("aborted", `the ${this.what} was cancelled; if it was a write, its outcome is unknown`));
  };

  constructor(
    scheduler: Scheduler,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    private readonly what: string,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    this.startedAtMs = scheduler.now();
    this.timer = scheduler.after(timeoutMs, () => {
      this.reject(new EngineError("timeout", `the ${this.what} did not complete within ${timeoutMs} ms (no quorum or no leader?)`));
    });
    this.signal = signal;
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  resolve(value: T): void {
    if (this.settle()) this.resolveFn(value);
  }

  reject(error: Error): void {
    if (this.settle()) this.rejectFn(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.timer.cancel();
    this.signal?.removeEventListener("abort", this.onAbort);
    return true;
  }
}
