import type { Entry } from "../raft/entry.ts";
import type { FileDigest } from "../storage/snapshot-store.ts";

/** A consistent copy of the state machine: the position it reflects and the file as written. */
export interface StateMachineCopy {
  readonly index: number;
  readonly term: number;
  /** The configuration entry in effect at `index`, if any was applied. */
  readonly config?: Entry;
  readonly file: FileDigest;
}

/**
 * What the engine needs of the replicated state machine (kv.db in a node,
 * a register model in the simulator). Applies are durable together with
 * the applied index (a crash leaves it at some applied index, never in
 * between); `R` is what applying one entry answers the proposer.
 */
export interface StateMachine<R> {
  appliedIndex(): number;
  /**
   * Applies committed entries in order; entries at or below appliedIndex()
   * are skipped (replay). `answered` says whose results a proposer awaits:
   * the others' results are dropped, so a machine may skip work that only
   * builds an answer (never work that changes its state).
   */
  applyBatch(entries: readonly Entry[], answered?: (entry: Entry) => boolean): R[];
  /** Writes a consistent copy to `location` (a path the snapshot store handed out). */
  snapshotTo(location: string): Promise<StateMachineCopy>;
  /** Replaces the whole state with the copy at `location`, atomically. */
  restoreFrom(location: string): void;
}
