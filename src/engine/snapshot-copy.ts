import { decodeMembership } from "../raft/membership-codec.ts";
import type { SnapshotMeta } from "../storage/snapshot-meta.ts";
import type { SnapshotFiles } from "./snapshot-files.ts";
import type { StateMachine } from "./state-machine.ts";

/**
 * Copies the state machine into the store as a snapshot at its applied
 * index, with the membership it holds. The caller records it in the log
 * store; until then it is an orphan file.
 */
export async function snapshotStateMachine(store: SnapshotFiles, stateMachine: StateMachine<unknown>): Promise<SnapshotMeta> {
  const temp = store.tempPath();
  try {
    const copy = await stateMachine.snapshotTo(temp);
    if (copy.config === undefined) throw new Error(`the state machine has no configuration as of index ${copy.index}`);
    return await store.importFile(temp, { index: copy.index, term: copy.term, membership: decodeMembership(copy.config) }, copy.file);
  } catch (error) {
    store.discard(temp);
    throw error;
  }
}
