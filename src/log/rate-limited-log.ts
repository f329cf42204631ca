import type { LogFields } from "./logger.ts";

/** Only warnings are limited; src/log/logger.ts's Logger (and any logger with warn) fits. */
export interface WarningSink {
  warn(message: string, fields?: LogFields): void;
}

/**
 * Warnings that a remote party can trigger at will (garbage on the Raft port,
 * a peer that keeps failing) are limited per key, so a flood of bad
 * connections cannot flood the log. What was held back is counted and
 * reported with the next warning that gets through.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { startedAt: number; logged: number; suppressed: number }>();
  /** Keys often name a peer, which a remote party picks: past this many, expired and then oldest windows go. */
  private static readonly maxKeys = 4096;

  constructor(
    private readonly logger: WarningSink,
    private readonly perWindow: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  warn(key: string, message: string, fields: LogFields): void {
    const suppressed = this.take(key);
    if (suppressed === undefined) return;
    this.logger.warn(message, suppressed > 0 ? { ...fields, suppressedSinceLast: suppressed } : fields);
  }

  /**
   * Counts one occurrence under `key` and says whether it is within the
   * limit, for a caller that logs (or answers) by other means.
   */
  allow(key: string): boolean {
    return this.take(key) !== undefined;
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.windowMs) this.windows.delete(key);
    }
    // Still full: forget the oldest (a forgotten key only starts a fresh window).
    for (const key of this.windows.keys()) {
      if (this.windows.size < RateLimitedLog.maxKeys) break;
      this.windows.delete(key);
    }
  }

  /** Undefined when over the limit; otherwise how many were held back before this one. */
  private take(key: string): number | undefined {
    const now = this.now();
    let window = this.windows.get(key);
    let suppressedBefore = 0;
    if (window === undefined || now - window.startedAt >= this.windowMs) {
      suppressedBefore = window?.suppressed ?? 0;
      window = { startedAt: now, logged: 0, suppressed: 0 };
      if (this.windows.size >= RateLimitedLog.maxKeys) this.prune(now);
      this.windows.set(key, window);
    }
    if (window.logged >= this.perWindow) {
      window.suppressed++;
      return undefined;
    }
    window.logged++;
    return suppressedBefore;
  }
}
