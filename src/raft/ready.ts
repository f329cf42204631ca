import type { Entry } from "./entry.ts";
import type { HardState } from "./hard-state.ts";
import type { Message } from "./message.ts";
import type { RaftEvent } from "./raft-event.ts";
import type { ReadState } from "./read-state.ts";
import type { SnapshotMeta } from "./snapshot-meta.ts";

/**
 * Work the engine must do, in this order:
 * 1. send `messages` (any time, even before step 2);
 * 2. make durable: `snapshot` (install data received with it), then
 *    `entries` (truncating any stored entries at or after entries[0].index),
 *    then `hardState`;
 * 3. send `messagesAfterPersist` (only once step 2 is durable);
 * 4. apply `committedEntries` in order (restoring `snapshot` first if set);
 * 5. release `readStates` to their waiters once applied >= their index;
 *    compact the log up to `compactLogTo` if set;
 * 6. call advance(ready) with this very object.
 */
export interface Ready {
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: SnapshotMeta | undefined;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly events: readonly RaftEvent[];
  /** Log entries up to and including this index may be deleted (0: nothing). */
  readonly compactLogTo: number;
}
