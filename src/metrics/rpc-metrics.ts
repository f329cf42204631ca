import { Counter, Histogram, type Registry } from "prom-client";
import type { RpcCall, RpcObserver } from "../server/rpc-observer.ts";

const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const labelNames = ["service", "method", "code", "protocol"] as const;

interface Children {
  readonly requests: Counter.Internal;
  readonly duration: Histogram.Internal<(typeof labelNames)[number]>;
}

/**
 * raftkv_rpc_requests_total and raftkv_rpc_duration_seconds by service,
 * method, code and protocol. The labelled children are looked up once per
 * label set and kept, so a call costs one map lookup, an increment and an
 * observation (prom-client would otherwise sort and hash the labels twice).
 */
export class RpcMetrics implements RpcObserver {
  readonly #requests: Counter<(typeof labelNames)[number]>;
  readonly #duration: Histogram<(typeof labelNames)[number]>;
  readonly #children = new Map<string, Children>();
  #reads = 0;

  constructor(registry: Registry) {
    this.#requests = new Counter({
      name: "raftkv_rpc_requests_total",
      help: "Calls served on the client port, by service, method, Connect code and protocol (grpc, grpc-web, connect, rest); a stream counts when it ends",
      labelNames,
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: "raftkv_rpc_duration_seconds",
      help: "Time from a call's arrival to its answer (a stream: its whole life), by service, method, code and protocol",
      labelNames,
      buckets: durationBuckets,
      registers: [registry],
    });
  }

  rpcDone(call: RpcCall): void {
    const key = `${call.service}/${call.method} ${call.code} ${call.protocol}`;
    let children = this.#children.get(key);
    if (children === undefined) {
      const labels = { service: call.service, method: call.method, code: call.code, protocol: call.protocol };
      children = { requests: this.#requests.labels(labels), duration: this.#duration.labels(labels) };
      this.#children.set(key, children);
    }
    children.requests.inc();
    children.duration.observe(call.seconds);
    if (call.code === "ok" && call.service === "raftkv.v1.KV" && (call.method === "Get" || call.method === "Range")) this.#reads++;
  }

  /** Successful KV.Get and KV.Range calls since start (Cluster.Status reads_total; the console's reads/s). */
  get readsTotal(): number {
    return this.#reads;
  }
}
