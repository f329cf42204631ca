import { EngineError } from "./engine-error.ts";

/**
 * One caller waiting for the engine: settles exactly once, by the engine, by
 * its deadline, or by its AbortSignal. Once settled by a deadline or abort,
 * the engine's later settle is ignored (the engine checks `settled` to drop
 * work nobody waits for).
 */
export class RaftWaiter<T> {
  readonly promise: Promise<T>;
  /** performance.now() at creation: how long a caller has waited for a leader. */
  readonly startedAtMs = performance.now();
  settled = false;
  private resolveFn!: (value: T) => void;
  private rejectFn!: (error: Error) => void;
  private readonly timer: Timer;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => {
    this.reject(new EngineError("aborted", `the ${this.what} was cancelled; if it was a write, its outcome is unknown`));
  };

  constructor(
    timeoutMs: number,
    signal: AbortSignal | undefined,
    private readonly what: string,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    this.timer = setTimeout(() => {
      this.reject(new EngineError("timeout", `the ${this.what} did not complete within ${timeoutMs} ms (no quorum or no leader?)`));
    }, timeoutMs);
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
    clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this.onAbort);
    return true;
  }
}
