import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../test/support/free-port.ts";
import { ServeChild, serveCommand } from "../../test/support/serve-child.ts";
import { type Cluster, type ClusterNode, stopNodes } from "./cluster.ts";
import { type HarnessAccess, moveRaftkvLeadership } from "./leadership.ts";
import { waitHealthy } from "./wait-healthy.ts";

export interface RaftkvClusterOptions {
  size: number;
  workDir: string;
  /** The compiled executable (dist/raftkv), never the dev entry point. */
  binary: string;
  /** Extra flags per member id (TLS, tokens). */
  flagsFor?: (id: string) => readonly string[];
  /** How the harness itself reaches the nodes when they use TLS or tokens. */
  access?: HarnessAccess;
}

/**
 * Starts an N-node raftkv cluster on loopback and waits for /healthz on every
 * node. N = 1 is a self-bootstrapping single node; N > 1 uses the static
 * --initial-cluster bootstrap from the design card (id=raftaddr,…).
 */
export async function startRaftkvCluster(options: RaftkvClusterOptions): Promise<Cluster> {
  const members: { id: string; clientPort: number; raftPort: number }[] = [];
  for (let i = 1; i <= options.size; i++) {
    members.push({ id: `n${i}`, clientPort: freePort(), raftPort: freePort() });
  }
  const initialCluster = members.map((m) => `${m.id}=127.0.0.1:${m.raftPort}`).join(",");
  const nodes: ClusterNode[] = [];
  try {
    for (const member of members) {
      const dir = join(options.workDir, member.id);
      mkdirSync(dir, { recursive: true });
      const args = [
        "--id",
        member.id,
        "--data-dir",
        join(dir, "data"),
        "--listen",
        `127.0.0.1:${member.clientPort}`,
        "--raft-listen",
        `127.0.0.1:${member.raftPort}`,
        "--log-level",
        "warn",
      ];
      if (options.size > 1) args.push("--initial-cluster", initialCluster);
      args.push(...(options.flagsFor?.(member.id) ?? []));
      const server = ServeChild.spawn({
        label: `raftkv ${member.id}`,
        command: serveCommand(args, options.binary),
        output: { logFile: join(dir, "raftkv.log") },
      });
      nodes.push({ id: member.id, clientEndpoint: `127.0.0.1:${member.clientPort}`, process: server });
    }
    const ca = options.access?.ca;
    const scheme = ca === undefined ? "http" : "https";
    const init: BunFetchRequestInit = ca === undefined ? {} : { tls: { ca } };
    await Promise.all(nodes.map((node) => waitHealthy(node.process, `${scheme}://${node.clientEndpoint}/healthz`, 30_000, init)));
  } catch (error) {
    await stopNodes(nodes);
    throw error;
  }
  const first = nodes[0];
  if (first === undefined) throw new Error("raftkv cluster needs at least one node");
  if (options.size > 1) await moveRaftkvLeadership(first.clientEndpoint, first.id, options.access);
  return { system: "raftkv", nodes, endpoint: first.clientEndpoint, stop: () => stopNodes(nodes) };
}
