import type { StatusResponse } from "../../../src/gen/raftkv/v1/cluster_pb.ts";

/**
 * Every figure the console shows about one node, and the one place that
 * knows where each comes from. Figures the node does not report yet are
 * undefined and shown as "n/a".
 */
export interface NodeFigures {
  readonly commitIndex: bigint;
  readonly appliedIndex: bigint;
  /** Reads served since start (a counter: the chart shows its rate). */
  readonly readsTotal: bigint | undefined;
  readonly dbSizeBytes: bigint | undefined;
  readonly dbSizeInUseBytes: bigint | undefined;
  readonly quotaBytes: bigint | undefined;
  readonly fsyncP99Ms: number | undefined;
}

/**
 * Reads the figures from a Cluster.Status answer. A node that reports no
 * quota (0) or no fsync yet shows "n/a" rather than a misleading zero.
 */
export function nodeFigures(status: StatusResponse): NodeFigures {
  return {
    // Writes/s is the commit index's rate: every committed entry is a write (or a rare no-op/config entry).
    commitIndex: status.commitIndex,
    appliedIndex: status.appliedIndex,
    readsTotal: status.readsTotal,
    dbSizeBytes: status.dbSizeBytes,
    dbSizeInUseBytes: status.dbSizeInUseBytes,
    quotaBytes: status.quotaBytes === 0n ? undefined : status.quotaBytes,
    fsyncP99Ms: status.fsyncP99Ms === 0 ? undefined : status.fsyncP99Ms,
  };
}
