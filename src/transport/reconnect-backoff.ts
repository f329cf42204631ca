export interface ReconnectBackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Uniform in [0, 1); injectable so tests can pin the jitter. */
  readonly random: () => number;
}

/**
 * Exponential backoff with jitter: the n-th consecutive failure waits a random
 * time in [d/2, d) with d = min(max, initial * 2^n), so nodes that lost the
 * same peer do not reconnect in lockstep.
 */
export class ReconnectBackoff {
  private failures = 0;

  constructor(private readonly options: ReconnectBackoffOptions) {}

  nextDelayMs(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return ceiling / 2 + this.options.random() * (ceiling / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
