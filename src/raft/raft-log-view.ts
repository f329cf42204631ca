import type { Entry } from "./entry.ts";
import type { SnapshotMeta } from "./snapshot-meta.ts";

/** The core's log as others may read it (the engine's Ready, the simulators' invariants); only the core changes it. */
export interface RaftLogView {
  readonly committed: number;
  readonly applied: number;
  firstIndex(): number;
  lastIndex(): number;
  lastTerm(): number;
  /** Term at index, or undefined when compacted or beyond the end. */
  term(index: number): number | undefined;
  /** Entries [lo, hi) limited by bytes; undefined if lo is compacted. */
  slice(lo: number, hi: number, maxBytes: number): readonly Entry[] | undefined;
  /** Entries accepted and not yet reported durable. */
  unstableEntries(): readonly Entry[];
  /** A snapshot accepted and not yet reported durable. */
  unstableSnapshot(): SnapshotMeta | undefined;
  /** The newest durable snapshot's metadata (index 0 when none). */
  storedSnapshot(): SnapshotMeta;
}
