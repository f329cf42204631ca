import type { Message } from "./message.ts";
import type { RaftEvent } from "./raft-event.ts";
import type { ReadState } from "./read-state.ts";

/** What the core collected for the engine since the last Ready, besides the log. */
export interface RaftOutput {
  readonly messages: Message[];
  readonly readStates: ReadState[];
  readonly events: RaftEvent[];
  /** Log entries up to and including this index may be deleted (0: nothing). */
  readonly compactLogTo: number;
}
