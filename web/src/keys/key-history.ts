import type { RaftkvClient } from "../../../src/client/index.ts";
import { EventType } from "../../../src/gen/raftkv/v1/kv_pb.ts";

/** One write to a key, oldest first: a value it held from `index` on, or its deletion at `index`. */
export interface KeyVersion {
  readonly index: bigint;
  readonly deleted: boolean;
  readonly value: Uint8Array;
  /** The key's version counter after the write (0 for a delete). */
  readonly version: bigint;
}

export interface KeyHistory {
  readonly versions: readonly KeyVersion[];
  /** History before this index was compacted away (0: complete as far as the server keeps it). */
  readonly compactedBefore: bigint;
}

/** How long an idle replay waits before the server says "everything sent" (progress). */
const progressIntervalMs = 200;

/**
 * A key's past values, from the server's watch history: a Watch from index 1
 * replays every change it still keeps, then reports progress; once progress
 * reaches `upToIndex` (the index the key was read at) the replay is complete
 * and the watch is closed. If older history was compacted the replay starts
 * where history starts, and says so.
 */
export async function loadKeyHistory(client: RaftkvClient, key: Uint8Array, upToIndex: bigint, timeoutMs = 10_000): Promise<KeyHistory> {
  const versions: KeyVersion[] = [];
  let startIndex = 1n;
  let compactedBefore = 0n;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error(`history of the key did not arrive within ${timeoutMs} ms`)), timeoutMs);
  try {
    for (;;) {
      let restartAt: bigint | undefined;
      for await (const update of client.watch({ key, startIndex, progressIntervalMs }, { signal: stop.signal })) {
        if (update.kind === "events") {
          for (const event of update.events) {
            const kv = event.kv;
            if (kv === undefined) continue;
            const deleted = event.type === EventType.DELETE;
            versions.push({ index: kv.modIndex, deleted, value: deleted ? new Uint8Array(0) : kv.value, version: deleted ? 0n : kv.version });
          }
        } else if (update.kind === "progress" && update.index >= upToIndex) {
          return { versions, compactedBefore };
        } else if (update.kind === "compacted") {
          restartAt = update.compactIndex;
          break;
        }
      }
      if (restartAt === undefined) throw stop.signal.reason ?? new Error("the history watch ended early");
      compactedBefore = restartAt;
      startIndex = restartAt;
      versions.length = 0;
    }
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}
