import { Counter, Histogram, type Registry } from "prom-client";
import type { ReclaimStep } from "../ops/space-reclaimer.ts";
import { diskBuckets } from "./raft-metrics.ts";

const pauseBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1];

/** The disk as the node sees it: log fsync latency and the background space reclaimer. */
export class DiskMetrics {
  readonly #fsync: Histogram;
  readonly #reclaimPause: Histogram;
  readonly #reclaimed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#fsync = new Histogram({
      name: "raftkv_disk_fsync_seconds",
      help: "Time of the Raft log's durable commit (WAL write and fsync), as etcd's wal_fsync_duration_seconds",
      buckets: diskBuckets,
      registers,
    });
    this.#reclaimPause = new Histogram({
      name: "raftkv_db_reclaim_pause_seconds",
      help: "How long each background space-reclaiming step (incremental vacuum) held the event loop and the database",
      buckets: pauseBuckets,
      registers,
    });
    this.#reclaimed = new Counter({
      name: "raftkv_db_reclaimed_bytes_total",
      help: "Free database pages given back to the file system by the background reclaimer",
      registers,
    });
  }

  fsync(ms: number): void {
    this.#fsync.observe(ms / 1000);
  }

  reclaimStep(step: ReclaimStep): void {
    this.#reclaimPause.observe(step.ms / 1000);
    this.#reclaimed.inc(step.bytes);
  }
}
