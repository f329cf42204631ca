import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../test/support/free-port.ts";
import { ServeChild } from "../../test/support/serve-child.ts";
import { type Cluster, type ClusterNode, stopNodes } from "./cluster.ts";
import { moveEtcdLeadership } from "./leadership.ts";
import { waitHealthy } from "./wait-healthy.ts";

/** TLS on both of etcd's ports: clients verify the server; members verify each other (--peer-client-cert-auth). */
export interface EtcdTls {
  readonly caFile: string;
  readonly ca: string;
  /** Certificate and key files of member `id` (used for both ports). */
  certFor(id: string): { readonly certFile: string; readonly keyFile: string };
}

export interface EtcdClusterOptions {
  size: number;
  /** A fresh directory; each node gets a data dir and a log file inside it. */
  workDir: string;
  binary: string;
  tls?: EtcdTls;
}

/** Starts an N-node etcd cluster on loopback (static bootstrap) and waits until every node is healthy. */
export async function startEtcdCluster(options: EtcdClusterOptions): Promise<Cluster> {
  const members: { id: string; clientPort: number; peerPort: number }[] = [];
  for (let i = 1; i <= options.size; i++) {
    members.push({ id: `e${i}`, clientPort: freePort(), peerPort: freePort() });
  }
  const initialCluster = members.map((m) => `${m.id}=${options.tls === undefined ? "http" : "https"}://127.0.0.1:${m.peerPort}`).join(",");
  const nodes: ClusterNode[] = [];
  try {
    for (const member of members) {
      const dir = join(options.workDir, member.id);
      mkdirSync(dir, { recursive: true });
      const scheme = options.tls === undefined ? "http" : "https";
      const client = `${scheme}://127.0.0.1:${member.clientPort}`;
      const peer = `${scheme}://127.0.0.1:${member.peerPort}`;
      const files = options.tls?.certFor(member.id);
      const tlsFlags =
        options.tls === undefined || files === undefined
          ? []
          : [
              "--cert-file",
              files.certFile,
              "--key-file",
              files.keyFile,
              "--peer-cert-file",
              files.certFile,
              "--peer-key-file",
              files.keyFile,
              "--peer-trusted-ca-file",
              options.tls.caFile,
              "--peer-client-cert-auth",
            ];
      const server = ServeChild.spawn({
        label: `etcd ${member.id}`,
        command: [
          options.binary,
          "--name",
          member.id,
          "--data-dir",
          join(dir, "data"),
          "--listen-client-urls",
          client,
          "--advertise-client-urls",
          client,
          "--listen-peer-urls",
          peer,
          "--initial-advertise-peer-urls",
          peer,
          "--initial-cluster",
          initialCluster,
          "--initial-cluster-state",
          "new",
          "--initial-cluster-token",
          "raftkv-bench",
          "--logger",
          "zap",
          "--log-level",
          "warn",
          ...tlsFlags,
        ],
        output: { logFile: join(dir, "etcd.log") },
      });
      nodes.push({ id: member.id, clientEndpoint: `127.0.0.1:${member.clientPort}`, process: server });
    }
    // /health is 200 only once the member sees a leader.
    const ca = options.tls?.ca;
    const init: BunFetchRequestInit = ca === undefined ? {} : { tls: { ca } };
    const scheme = ca === undefined ? "http" : "https";
    await Promise.all(nodes.map((node) => waitHealthy(node.process, `${scheme}://${node.clientEndpoint}/health`, 30_000, init)));
  } catch (error) {
    await stopNodes(nodes);
    throw error;
  }
  const first = nodes[0];
  if (first === undefined) throw new Error("etcd cluster needs at least one node");
  if (nodes.length > 1) {
    await moveEtcdLeadership(
      first.clientEndpoint,
      nodes.map((n) => n.clientEndpoint),
      options.tls === undefined ? {} : { ca: options.tls.ca },
    );
  }
  return { system: "etcd", nodes, endpoint: first.clientEndpoint, stop: () => stopNodes(nodes) };
}
