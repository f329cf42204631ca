import type { TargetSystem } from "../../src/bench/index.ts";
import type { ServeChild } from "../../test/support/serve-child.ts";

export interface ClusterNode {
  readonly id: string;
  /** host:port of the client (gRPC) port. */
  readonly clientEndpoint: string;
  readonly process: ServeChild;
}

/** N nodes of one system on loopback, started by the harness with fresh data dirs. */
export interface Cluster {
  readonly system: TargetSystem;
  readonly nodes: readonly ClusterNode[];
  /** The endpoint load is sent to: the first node (the leader on start-up for N = 1). */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function stopNodes(nodes: readonly ClusterNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.process.stop(5000)));
}
