import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort } from "../support/free-port.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { NodeProcess } from "./node-process.ts";

export interface ClusterOptions {
  readonly nodes: number;
  /** Defaults to the project's dist/raftkv. */
  readonly binary?: string;
  /** Raft timing and snapshot flags passed to every node (defaults: `chaosTimingFlags`). */
  readonly timingFlags?: readonly string[];
}

export const defaultBinary = resolve(import.meta.dir, "../../dist/raftkv");

/** How long a node started with --join may take to be added and report serving (its --join-timeout is 30 s). */
const joinTimeoutMs = 45_000;

/**
 * Short Raft timings, so elections, pauses and partitions play out in
 * seconds, and a low snapshot threshold, so snapshots, log compaction and
 * snapshot installs on lagging or new nodes happen in every run.
 */
export const chaosTimingFlags: readonly string[] = [
  "--heartbeat-timeout",
  "500ms",
  "--election-timeout",
  "500ms",
  "--leader-lease-timeout",
  "250ms",
  "--snapshot-threshold",
  "1000",
  "--snapshot-interval",
  "1s",
  "--trailing-logs",
  "200",
];

/** A node and the proxy every peer reaches its Raft port through. */
export interface ClusterMember {
  readonly node: NodeProcess;
  /** Listens on the address the node advertises (--advertise-raft) and forwards to its --raft-listen port. */
  readonly proxy: TcpProxy;
}

/**
 * N raftkv processes of the compiled binary on loopback, each with a fresh
 * temp data dir and a log file under one root folder. Every Raft link passes
 * through a TCP proxy in front of the receiving node's Raft port: the node
 * listens on its own port but advertises the proxy's, and --initial-cluster
 * lists the proxies, so the test can cut, delay and drop any node's inbound
 * links from outside.
 */
export class Cluster {
  readonly root: string;
  readonly logDir: string;
  private readonly members: ClusterMember[];
  private readonly binary: string;
  private readonly timingFlags: readonly string[];
  private nextId: number;

  private constructor(root: string, members: ClusterMember[], binary: string, timingFlags: readonly string[]) {
    this.root = root;
    this.logDir = join(root, "logs");
    this.members = members;
    this.binary = binary;
    this.timingFlags = timingFlags;
    this.nextId = members.length + 1;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new Error(`cluster size must be a positive integer, got ${options.nodes}`);
    const binary = options.binary ?? defaultBinary;
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run build\` first`);
    const timingFlags = options.timingFlags ?? chaosTimingFlags;
    const root = tempDir("chaos");
    mkdirSync(join(root, "logs"));
    const ids = Array.from({ length: options.nodes }, (_, i) => `node${i + 1}`);
    const raftPorts = ids.map(() => freePort());
    const proxies: TcpProxy[] = [];
    for (const port of raftPorts) proxies.push(await TcpProxy.start({ listenPort: 0, target: `127.0.0.1:${port}` }));
    const initialCluster = ids.map((id, i) => `${id}=${proxies[i]?.address ?? ""}`).join(",");
    const members = ids.map((id, i): ClusterMember => {
      const proxy = proxies[i];
      if (proxy === undefined) throw new Error(`no proxy for ${id}`);
      const clusterArgs = options.nodes === 1 ? [] : ["--initial-cluster", initialCluster];
      return { node: newNode(binary, root, id, raftPorts[i] ?? 0, [...timingFlags, "--advertise-raft", proxy.address, ...clusterArgs]), proxy };
    });
    const cluster = new Cluster(root, members, binary, timingFlags);
    try {
      // All at once: the members of a static cluster find each other while they start.
      await Promise.all(members.map((m) => m.node.start()));
    } catch (error) {
      await cluster.teardown({ keepFiles: true });
      throw error;
    }
    return cluster;
  }

  get nodes(): readonly NodeProcess[] {
    return this.members.map((m) => m.node);
  }

  get memberList(): readonly ClusterMember[] {
    return this.members;
  }

  endpoints(): string[] {
    return this.nodes.map((n) => n.endpoint);
  }

  node(index: number): NodeProcess {
    const node = this.members[index]?.node;
    if (node === undefined) throw new Error(`no node #${index} (cluster of ${this.members.length})`);
    return node;
  }

  member(id: string): ClusterMember {
    const member = this.members.find((m) => m.node.id === id);
    if (member === undefined) throw new Error(`no member ${id} (members: ${this.members.map((m) => m.node.id).join(", ")})`);
    return member;
  }

  /**
   * A node started with an empty data dir and --join: it asks the members at
   * `joinEndpoints` to add it, and must catch up (from a snapshot when the
   * log was compacted). With `reuse`, a member already stopped and removed
   * from the configuration comes back under its old id, proxy and log file
   * (its data wiped, as an operator re-adding a replaced machine would);
   * otherwise a brand-new id gets its own proxy. Not part of `nodes` until
   * `adopt` is called, so a failed join leaves the set unchanged.
   */
  async startJoiner(joinEndpoints: readonly string[], reuse?: ClusterMember): Promise<ClusterMember> {
    const id = reuse?.node.id ?? `node${this.nextId++}`;
    const raftPort = reuse?.node.raftPort ?? freePort();
    const proxy = reuse?.proxy ?? (await TcpProxy.start({ listenPort: 0, target: `127.0.0.1:${raftPort}` }));
    if (reuse !== undefined) removeDir(reuse.node.dataDir);
    // A joiner reports serving only once it is a member, which may take a snapshot install: allow for it.
    const node = newNode(
      this.binary,
      this.root,
      id,
      raftPort,
      [...this.timingFlags, "--advertise-raft", proxy.address, "--join", joinEndpoints.join(",")],
      joinTimeoutMs,
    );
    const member = { node, proxy };
    try {
      await node.start();
    } catch (error) {
      await proxy.close();
      throw error;
    }
    return member;
  }

  adopt(member: ClusterMember): void {
    this.members.push(member);
  }

  /**
   * Stops a member and takes it out of `nodes` (its log stays under the root
   * for diagnosis). Its proxy stays open when it may come back (`startJoiner`
   * with `reuse`); it is closed otherwise.
   */
  async retire(id: string, options: { readonly keepProxy: boolean }): Promise<ClusterMember> {
    const member = this.member(id);
    await member.node.stop(5_000);
    if (!options.keepProxy) await member.proxy.close();
    this.members.splice(this.members.indexOf(member), 1);
    return member;
  }

  /** Ends every process by its PID; removes the data unless asked to keep it. */
  async teardown(options: { readonly keepFiles: boolean }): Promise<void> {
    await Promise.all(this.members.map((m) => m.node.stop(2_000)));
    await Promise.all(this.members.map((m) => m.proxy.close()));
    if (!options.keepFiles) removeDir(this.root);
  }
}

function newNode(binary: string, root: string, id: string, raftPort: number, extraArgs: readonly string[], startTimeoutMs?: number): NodeProcess {
  return new NodeProcess({
    binary,
    id,
    dataDir: join(root, "data", id),
    logFile: join(root, "logs", `${id}.log`),
    raftPort,
    extraArgs,
    startTimeoutMs,
  });
}
