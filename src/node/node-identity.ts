import type { RaftLogStore } from "../storage/raft-log-store.ts";

/** Keys of raft.db's meta table: the node the log belongs to, and its cluster (written by the engine's bootstrap or join). */
export const NODE_ID_KEY = "node_id";
const CLUSTER_ID_KEY = "cluster_id";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function metaText(logStore: RaftLogStore, key: string): string | undefined {
  const value = logStore.getMeta(key);
  return value === undefined ? undefined : fromUtf8.decode(value);
}

/**
 * A log is bound to the member id it was written under: started as another
 * id, the node would vote and acknowledge entries as a member whose log it
 * does not hold. Throws one line naming both ids; a log that records no id
 * yet (new, or from before ids were recorded) passes.
 */
export function checkNodeId(logStore: RaftLogStore, nodeId: string, dataDir: string): void {
  const recorded = metaText(logStore, NODE_ID_KEY);
  if (recorded === undefined || recorded === nodeId) return;
  const clusterId = metaText(logStore, CLUSTER_ID_KEY);
  const cluster = clusterId === undefined ? "" : ` of cluster ${clusterId}`;
  throw new Error(
    `data dir ${dataDir} belongs to node ${JSON.stringify(recorded)}${cluster}, not ${JSON.stringify(nodeId)}: ` +
      `start it with --id ${recorded}, or give ${nodeId} its own --data-dir`,
  );
}

/** Records the node id in a log that has none; one that has one was checked by checkNodeId. */
export function recordNodeId(logStore: RaftLogStore, nodeId: string): void {
  if (logStore.getMeta(NODE_ID_KEY) === undefined) logStore.setMeta(NODE_ID_KEY, utf8.encode(nodeId));
}
