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
 * Reads the figures from a Cluster.Status answer.
 *
 * TODO(issue 15, metrics/quota branch): Cluster.Status is gaining
 * `db_size_bytes`, `db_size_in_use_bytes`, `quota_bytes`, an fsync p99
 * latency and a reads counter. Once they are in proto/raftkv/v1/cluster.proto
 * (regenerated into src/gen/), read them here — e.g. `dbSizeBytes:
 * status.dbSizeBytes`, `quotaBytes: status.quotaBytes`, `fsyncP99Ms:
 * status.fsyncP99Ms`, `readsTotal: status.readsTotal` — and nothing else in
 * the console changes: the cluster table, the db-size bar and the reads/s
 * line already show them when they are defined. Until then "n/a".
 * (This branch adds no fields to cluster.proto on purpose.)
 */
export function nodeFigures(status: StatusResponse): NodeFigures {
  return {
    // Writes/s is the commit index's rate: every committed entry is a write (or a rare no-op/config entry).
    commitIndex: status.commitIndex,
    appliedIndex: status.appliedIndex,
    readsTotal: undefined, // TODO(issue 15): reads total counter from Status
    dbSizeBytes: undefined, // TODO(issue 15): db_size_bytes
    dbSizeInUseBytes: undefined, // TODO(issue 15): db_size_in_use_bytes
    quotaBytes: undefined, // TODO(issue 15): quota_bytes
    fsyncP99Ms: undefined, // TODO(issue 15): fsync p99 latency
  };
}
