import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../support/free-port.ts";
import { NodeProcess } from "./node-process.ts";

export interface ClusterOptions {
  readonly nodes: number;
  /** Defaults to the project's dist/raftkv. */
  readonly binary?: string;
}

export const defaultBinary = resolve(import.meta.dir, "../../dist/raftkv");

/**
 * N raftkv processes of the compiled binary on loopback, each with a fresh
 * temp data dir and a log file under one root folder.
 *
 * Today the product is a single node, so N must be 1. The Raft ports are
 * already allocated and passed as --raft-listen; the cluster session adds
 * --initial-cluster (see `clusterFlags`) and lifts the N = 1 limit.
 */
export class Cluster {
  readonly root: string;
  readonly logDir: string;
  readonly nodes: readonly NodeProcess[];

  private constructor(root: string, nodes: readonly NodeProcess[]) {
    this.root = root;
    this.logDir = join(root, "logs");
    this.nodes = nodes;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    if (options.nodes !== 1) {
      throw new Error(`--nodes ${options.nodes}: only 1 is supported until the replicated cluster (issue 4) exists`);
    }
    const binary = options.binary ?? defaultBinary;
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run build\` first`);
    const root = mkdtempSync(join(tmpdir(), "raftkv-chaos-"));
    mkdirSync(join(root, "logs"));
    const ids = Array.from({ length: options.nodes }, (_, i) => `node${i + 1}`);
    const raftPorts = ids.map(() => freePort());
    const nodes = ids.map(
      (id, i) =>
        new NodeProcess({
          binary,
          id,
          dataDir: join(root, "data", id),
          logFile: join(root, "logs", `${id}.log`),
          raftPort: raftPorts[i] ?? 0,
          extraArgs: clusterFlags(ids, raftPorts),
        }),
    );
    const cluster = new Cluster(root, nodes);
    try {
      await Promise.all(nodes.map((n) => n.start()));
    } catch (error) {
      await cluster.teardown({ keepFiles: true });
      throw error;
    }
    return cluster;
  }

  endpoints(): string[] {
    return this.nodes.map((n) => n.endpoint);
  }

  node(index: number): NodeProcess {
    const node = this.nodes[index];
    if (node === undefined) throw new Error(`no node #${index} (cluster of ${this.nodes.length})`);
    return node;
  }

  /** Ends every process by its PID; removes the data unless asked to keep it. */
  async teardown(options: { readonly keepFiles: boolean }): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(2_000)));
    if (!options.keepFiles) rmSync(this.root, { recursive: true, force: true });
  }
}

/** Flags that make N processes one cluster; none for a single node. */
function clusterFlags(ids: readonly string[], raftPorts: readonly number[]): string[] {
  if (ids.length === 1) return [];
  const members = ids.map((id, i) => `${id}=127.0.0.1:${raftPorts[i] ?? 0}`).join(",");
  return ["--initial-cluster", members];
}
