export interface RaftIoStats {
  /** Milliseconds the event loop spent in log persists (fsync included) since the engine started. */
  readonly persistMs: number;
  readonly persists: number;
  /** Milliseconds spent applying committed entries to the state machine. */
  readonly applyMs: number;
  readonly applies: number;
}

/**
 * Counts how long the event loop is blocked by synchronous SQLite work
 * (bun:sqlite cannot yield), so the cost can be measured per second under
 * load before deciding to move the log to a Worker.
 */
export class RaftIoMeter {
  private persistMs = 0;
  private persists = 0;
  private applyMs = 0;
  private applies = 0;

  recordPersist(ms: number): void {
    this.persistMs += ms;
    this.persists++;
  }

  recordApply(ms: number): void {
    this.applyMs += ms;
    this.applies++;
  }

  snapshot(): RaftIoStats {
    return { persistMs: this.persistMs, persists: this.persists, applyMs: this.applyMs, applies: this.applies };
  }
}
