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

  constructor(
    private readonly logger: WarningSink,
    private readonly perWindow: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  warn(key: string, message: string, fields: LogFields): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || now - window.startedAt >= this.windowMs) {
      const suppressed = window?.suppressed ?? 0;
      window = { startedAt: now, logged: 0, suppressed: 0 };
      this.windows.set(key, window);
      if (suppressed > 0) fields = { ...fields, suppressedSinceLast: suppressed };
    }
    if (window.logged >= this.perWindow) {
      window.suppressed++;
      return;
    }
    window.logged++;
    this.logger.warn(message, fields);
  }
}
