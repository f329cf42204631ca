import type { Registry } from "prom-client";
import type { BuildInfo } from "../version/build-info.ts";
import { DiskMetrics } from "./disk-metrics.ts";
import { createMetricsRegistry } from "./metrics-registry.ts";
import { RaftMetrics } from "./raft-metrics.ts";
import { RpcMetrics } from "./rpc-metrics.ts";
import { registerStateGauges, type StateSources } from "./state-gauges.ts";

/**
 * Every metric of a node in one prom-client registry, served at GET
 * /metrics. Built before the engine (whose observer it provides); the
 * scrape-time gauges read their sources once `attach` has them.
 */
export class NodeMetrics {
  readonly registry: Registry;
  readonly raft: RaftMetrics;
  readonly rpc: RpcMetrics;
  readonly disk: DiskMetrics;
  #sources: StateSources | undefined;

  constructor(build: BuildInfo) {
    this.registry = createMetricsRegistry();
    this.raft = new RaftMetrics(this.registry);
    this.rpc = new RpcMetrics(this.registry);
    this.disk = new DiskMetrics(this.registry);
    registerStateGauges(this.registry, () => this.#sources, build);
  }

  attach(sources: StateSources): void {
    this.#sources = sources;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
