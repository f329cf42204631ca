import type { Logger } from "../log/logger.ts";
import type { SnapshotMeta } from "../storage/snapshot-meta.ts";
import type { OpenedSnapshot } from "../storage/snapshot-store.ts";
import type { LogStore, SnapshotRecord } from "./log-store.ts";
import { snapshotStateMachine } from "./snapshot-copy.ts";
import type { SnapshotFiles } from "./snapshot-files.ts";
import type { StateMachine } from "./state-machine.ts";

/** Set once the snapshot records of a data dir written before they existed were filled in. */
const RECORDS_MIGRATED_KEY = "snapshot_records_migrated";
const utf8 = new TextEncoder();

function sameSnapshot(meta: SnapshotMeta, record: SnapshotRecord): boolean {
  return meta.index === record.index && meta.term === record.term;
}

/**
 * A data dir from before snapshot records: every stored snapshot the log
 * agrees with becomes a record (one above the log's end, or whose entry has
 * another term, was received but never installed).
 */
function migrateRecords(logStore: LogStore, files: SnapshotFiles): void {
  if (logStore.getMeta(RECORDS_MIGRATED_KEY) !== undefined) return;
  for (const meta of files.list()) {
    const agrees = meta.index <= logStore.compactedIndex() || logStore.term(meta.index) === meta.term;
    if (meta.index <= logStore.lastIndex() && agrees) logStore.recordSnapshot({ index: meta.index, term: meta.term });
  }
  logStore.setMeta(RECORDS_MIGRATED_KEY, utf8.encode("1"));
}

/**
 * Brings a node's log, state machine and snapshots into agreement before
 * the engine starts, and checks what Raft relies on; anything it cannot
 * repair safely is a clear error, never a silent start:
 *
 * - only snapshots the log store records count; others (received but not
 *   installed, or taken but not recorded before a crash) are removed;
 * - the newest recorded snapshot must agree with the log's term at its index;
 * - a state machine behind that snapshot (a crash between the log's reset
 *   and the restore, or a lost kv.db) is restored from it; one that cannot
 *   reach the log's compacted prefix is an error;
 * - a state machine ahead of the log (only a lost or damaged raft.db can do
 *   that) becomes the node's snapshot: it holds nothing but committed entries;
 * - a commit index beyond the log's end is lowered to it (the commit index is
 *   relearned from the leader);
 * - a compacted log without a valid snapshot at or past its boundary gets one
 *   of the state machine, so the core has a membership and followers have
 *   something to be sent.
 *
 * Returns the newest snapshot the node holds afterwards (undefined: none).
 */
export async function recoverOnStart(
  logStore: LogStore,
  files: SnapshotFiles,
  stateMachine: StateMachine<unknown>,
  logger: Logger | undefined,
): Promise<OpenedSnapshot | undefined> {
  migrateRecords(logStore, files);
  const records = logStore.snapshotRecords();
  const known = (meta: SnapshotMeta): boolean => records.some((r) => sameSnapshot(meta, r));
  for (const meta of files.list()) {
    if (known(meta)) continue;
    files.remove(meta.id);
    logger?.info("removed a snapshot the raft log does not record (received but never installed, or taken just before a crash)", {
      index: meta.index,
      term: meta.term,
    });
  }
  let newest = await files.newestValid((message, context) => logger?.error(message, context), known);
  if (newest !== undefined) checkAgreement(logStore, newest.meta);

  if (stateMachine.appliedIndex() > logStore.lastIndex()) {
    const adopted = await snapshotStateMachine(files, stateMachine);
    logStore.installSnapshot(
      { index: adopted.index, term: adopted.term },
      { ...logStore.hardState(), commit: Math.max(logStore.hardState().commit, adopted.index) },
    );
    logger?.warn("the state machine was ahead of the raft log (raft.db lost or damaged); it became the node's snapshot", {
      appliedIndex: adopted.index,
      logEndedAt: logStore.lastIndex(),
    });
    newest = await files.open(adopted.id);
  }

  const applied = stateMachine.appliedIndex();
  const compacted = logStore.compactedIndex();
  const covered = Math.max(applied, newest?.meta.index ?? 0);
  if (covered < compacted) {
    throw new Error(
      `cannot start: the state machine is at index ${applied}, the log is compacted through ${compacted}, ` +
        `and no valid snapshot in ${files.dir} covers it (newest valid: ${newest?.meta.index ?? "none"}); ` +
        "this member's data is damaged: remove it from the cluster and let it join again with an empty data dir",
    );
  }
  if (newest !== undefined && applied < newest.meta.index) {
    stateMachine.restoreFrom(newest.path);
    logger?.info("state machine restored from snapshot", { index: newest.meta.index, term: newest.meta.term, appliedBefore: applied });
  } else if (compacted > 0 && (newest === undefined || newest.meta.index < compacted)) {
    // The core needs a snapshot at or past the compacted log: its membership (config entries below the
    // boundary are gone) and something to send a follower that needs those entries. The state machine
    // is past the boundary, so a copy of it is one.
    const meta = await snapshotStateMachine(files, stateMachine);
    logStore.recordSnapshot({ index: meta.index, term: meta.term });
    logger?.info("no valid snapshot covers the compacted log; took one of the state machine", {
      index: meta.index,
      compactedThrough: compacted,
      newestValid: newest?.meta.index ?? null,
    });
    newest = await files.open(meta.id);
  }

  const hardState = logStore.hardState();
  if (hardState.commit > logStore.lastIndex()) {
    logStore.persist({ hardState: { ...hardState, commit: logStore.lastIndex() } });
    logger?.warn("the stored commit index was beyond the log's end; lowered to it (the leader will say what is committed)", {
      commitIndex: hardState.commit,
      lastIndex: logStore.lastIndex(),
    });
  }
  return newest;
}

/** The log and its newest snapshot must tell the same history where they overlap. */
function checkAgreement(logStore: LogStore, meta: SnapshotMeta): void {
  if (meta.index > logStore.lastIndex()) {
    throw new Error(
      `cannot start: the raft log ends at ${logStore.lastIndex()} but records a snapshot at ${meta.index} (term ${meta.term}); raft.db is damaged`,
    );
  }
  if (meta.index < logStore.compactedIndex()) return;
  const term = logStore.term(meta.index);
  if (term !== meta.term) {
    throw new Error(`cannot start: the raft log has term ${String(term)} at index ${meta.index}, its snapshot there has term ${meta.term}; raft.db is damaged`);
  }
}
