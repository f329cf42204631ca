import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Cluster } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { freePort } from "../support/free-port.ts";
import { ServeChild } from "../support/serve-child.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

/** One `raftkv serve` process of the project's entry point, restartable on the same data dir and ports. */
export class ClusterProcess {
  private child: ServeChild | undefined;
  private clientPort = 0;
  readonly stderrLines: string[] = [];
  /** Extra `serve` flags (Raft timings, --join, ...); may be changed between restarts. */
  extraArgs: string[];

  constructor(
    readonly id: string,
    readonly dataDir: string,
    private raftPortValue: number,
    private readonly initialCluster: string,
    extraArgs: readonly string[] = [],
  ) {
    this.extraArgs = [...extraArgs];
  }

  get raftPort(): number {
    return this.raftPortValue;
  }

  /** The next start listens on these ports (client port 0: a new ephemeral one), as after a move to other ports. */
  movePorts(raftPort: number, clientPort = 0): void {
    this.raftPortValue = raftPort;
    this.clientPort = clientPort;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  client(): Client<typeof KV> {
    return createClient(KV, createGrpcTransport({ baseUrl: `http://${this.endpoint}`, acceptCompression: [] }));
  }

  clusterClient(): Client<typeof Cluster> {
    return createClient(Cluster, createGrpcTransport({ baseUrl: `http://${this.endpoint}`, acceptCompression: [] }));
  }

  /** Starts and resolves once the node logs that it serves (client port bound). */
  async start(): Promise<void> {
    const child = await ServeChild.start({
      label: this.id,
      args: [
        "--id",
        this.id,
        "--data-dir",
        this.dataDir,
        // The same client port on a restart, so the address peers recorded stays right.
        "--listen",
        `127.0.0.1:${this.clientPort}`,
        "--raft-listen",
        `127.0.0.1:${this.raftPort}`,
        ...(this.initialCluster === "" ? [] : ["--initial-cluster", this.initialCluster]),
        "--log-format",
        "json",
        "--log-level",
        "info",
        ...this.extraArgs,
      ],
      onLine: (text) => {
        this.stderrLines.push(text);
        if (this.stderrLines.length > 2000) this.stderrLines.splice(0, 1000);
      },
      timeoutMs: 45_000,
      describe: () => this.stderrLines.join("\n"),
    });
    this.child = child;
    this.clientPort = child.clientPort;
  }

  /** SIGSTOP: the process keeps its sockets, so what peers and clients send queues up. */
  pause(): void {
    this.child?.pause();
  }

  resume(): void {
    this.child?.resume();
  }

  /** SIGTERM (a graceful stop: a leader hands over first); resolves with the exit code. */
  async terminate(): Promise<number> {
    const child = this.child;
    if (child === undefined) return 0;
    this.child = undefined;
    return child.terminate(30_000);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    await child.kill();
  }
}

export class ProcessCluster {
  private readonly members: ClusterProcess[];

  private constructor(
    readonly root: string,
    nodes: readonly ClusterProcess[],
    private readonly extraArgs: readonly string[],
  ) {
    this.members = [...nodes];
  }

  get nodes(): readonly ClusterProcess[] {
    return this.members;
  }

  /** extraArgs: `serve` flags every node gets (e.g. short Raft timings). */
  static async start(size: number, extraArgs: readonly string[] = []): Promise<ProcessCluster> {
    const root = tempDir("cluster");
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const ports = ids.map(() => freePort());
    const initial = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(",");
    const nodes = ids.map((id, i) => new ClusterProcess(id, join(root, id), ports[i] ?? 0, initial, extraArgs));
    const cluster = new ProcessCluster(root, nodes, extraArgs);
    try {
      await Promise.all(nodes.map((n) => n.start()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** A new node (not started) that joins through `--join` with the given members' client addresses. */
  joiner(id: string, joinEndpoints: readonly string[], extraArgs: readonly string[] = []): ClusterProcess {
    const node = new ClusterProcess(id, join(this.root, id), freePort(), "", [...this.extraArgs, "--join", joinEndpoints.join(","), ...extraArgs]);
    this.members.push(node);
    return node;
  }

  node(id: string): ClusterProcess {
    const found = this.nodes.find((n) => n.id === id);
    if (found === undefined) throw new Error(`no node ${id}`);
    return found;
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.kill();
    removeDir(this.root);
  }
}
