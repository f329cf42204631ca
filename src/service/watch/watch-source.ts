import type { ChangeNotice, HistoryPage, StoredKv } from "../../fsm/kv-types.ts";

/** A key interval in the state machine's conventions: end undefined = unbounded, empty = the single key `start`. */
export interface HistoryRange {
  readonly start: Uint8Array;
  readonly end?: Uint8Array;
}

/**
 * What the watch hub needs from the state machine (KvStateMachine provides
 * it); kept this narrow so the hub can be tested against a fake.
 */
export interface ChangeSource {
  /** Called synchronously after each applied batch commits and after a snapshot restore; returns the unsubscribe function. */
  onChange(listener: (notice: ChangeNotice) => void): () => void;
  historySince(fromIndex: number, range: HistoryRange, limit: number): HistoryPage;
  /** The oldest index history can be replayed from. */
  compactIndex(): number;
  /** The key's state just before `beforeIndex`, from history. */
  previousRevision(key: Uint8Array, beforeIndex: number): StoredKv | undefined;
  appliedIndex(): number;
}
