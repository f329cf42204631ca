import type { Logger } from "../log/logger.ts";
import type { NodeConfig } from "./node-config.ts";

/**
 * `--join` and `--initial-cluster` only shape a node's first start: a node
 * whose data dir holds a Raft log rejoins its cluster from that log. An
 * operator who passes them anyway (a restart script, a copied command line)
 * is told once which flag was ignored and why, instead of silently.
 */
export function warnIgnoredStartFlags(config: Pick<NodeConfig, "join" | "initialCluster" | "dataDir">, logger: Logger): void {
  const ignored: string[] = [];
  if (config.join !== undefined && config.join.length > 0) ignored.push("--join");
  if (config.initialCluster !== undefined && config.initialCluster.length > 0) ignored.push("--initial-cluster");
  if (ignored.length === 0) return;
  logger.warn(`${ignored.join(" and ")} ignored: the data dir already holds a Raft log, so the node rejoins its cluster from it`, {
    dataDir: config.dataDir,
  });
}
