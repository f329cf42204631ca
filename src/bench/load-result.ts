import type { LatencySummary } from "./latency-histogram.ts";

export interface LoadResult {
  readonly workload: string;
  readonly mode: string;
  /** Requests answered without error. */
  readonly succeeded: number;
  /** Requests that failed on the client's side (error status, timeout, reset). */
  readonly errors: number;
  /** Error counts by label (gRPC/Connect code or error name). */
  readonly errorKinds: Readonly<Record<string, number>>;
  /** Open loop only: scheduled requests not sent because maxInFlight was reached. */
  readonly skipped: number;
  readonly elapsedSeconds: number;
  /** Succeeded requests per second. */
  readonly throughput: number;
  readonly latency: LatencySummary;
  /** CPU seconds the load generator's own process used during the run. */
  readonly clientCpuSeconds: number;
  /** Acknowledged writes during this run (recorded in the AckLog). */
  readonly acknowledgedWrites: number;
}
