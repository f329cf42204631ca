import type { LogStore } from "./log-store.ts";

/** Entries deleted per step: about 5–15 ms of the event loop on this machine's disk. */
const DEFAULT_STEP_ENTRIES = 1024;

/**
 * Deletes the log prefix a snapshot covers a bounded step at a time. With
 * snapshots minutes apart, one compaction can cover hundreds of thousands of
 * entries, and one DELETE of them would hold the event loop (and with it
 * every request and heartbeat) for seconds. Each step is a complete
 * compaction in its own right, so stopping between steps is harmless: the
 * entries not yet deleted are still readable and still consistent.
 */
export class RaftLogCompactor {
  private target = 0;

  constructor(
    private readonly logStore: LogStore,
    private readonly stepEntries = DEFAULT_STEP_ENTRIES,
  ) {}

  /** The core allows compaction through `index`; the entries go over the next steps. */
  allow(index: number): void {
    if (index > this.target) this.target = index;
  }

  get pending(): boolean {
    return this.target > this.logStore.compactedIndex();
  }

  /** Deletes up to one step of allowed entries, never past what the state machine applied. */
  step(appliedIndex: number): void {
    const compacted = this.logStore.compactedIndex();
    const through = Math.min(this.target, compacted + this.stepEntries, appliedIndex);
    if (through <= compacted) return;
    // Undefined when a snapshot install replaced the log in the meantime: nothing left to delete.
    const term = this.logStore.term(through);
    if (term === undefined) return;
    this.logStore.compactPrefix(through, term);
  }
}
