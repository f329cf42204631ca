import { join } from "node:path";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { type CutMode, TcpProxy } from "../support/tcp-proxy.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { ServeProcess } from "./serve-process.ts";

/** Raft timings short enough for tests: an election settles in well under a second. */
export const fastRaftFlags: readonly string[] = ["--heartbeat-timeout", "200ms", "--election-timeout", "200ms", "--leader-lease-timeout", "100ms"];

/**
 * Snapshot checks every 200–400 ms taking one after 40 entries, 5 trailing
 * entries: after a few dozen writes the log is compacted, so a follower that
 * missed them can only catch up by InstallSnapshot.
 */
export const eagerSnapshotFlags: readonly string[] = ["--snapshot-threshold", "40", "--trailing-logs", "5", "--snapshot-interval", "200ms"];

export interface ProxiedClusterOptions {
  readonly size: number;
  /** Flags every node gets on top of the Raft wiring (default: fastRaftFlags). */
  readonly flags?: readonly string[];
  readonly logLevel?: "debug" | "info" | "warn";
}

/** A node of the cluster with the proxy in front of its Raft port. */
export interface ProxiedMember {
  readonly process: ServeProcess;
  readonly proxy: TcpProxy;
  /** Where the node really listens for peers (the proxy's target); tests may write to it directly. */
  readonly raftPort: number;
}

const probeKey = new TextEncoder().encode("probe");

/**
 * A static cluster of `raftkv serve` processes whose Raft links all pass
 * through proxies: each node listens on its own Raft port, and the address in
 * the replicated configuration (`--initial-cluster`, `--advertise-raft`) is
 * the proxy's. A partition is then a set of sender blocks on the proxies
 * (links X→Y are cut on Y's proxy by blocking sender X), so it can be
 * symmetric, one-way or a bridge. Client ports are not proxied.
 */
export class ProxiedCluster {
  private constructor(
    readonly root: string,
    readonly members: readonly ProxiedMember[],
  ) {}

  static async start(options: ProxiedClusterOptions): Promise<ProxiedCluster> {
    const root = tempDir("proxied");
    const ids = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
    const members: ProxiedMember[] = [];
    const cluster = new ProxiedCluster(root, members);
    try {
      const raftPorts = ids.map(() => freePort());
      const proxies = await Promise.all(raftPorts.map((port) => TcpProxy.start({ listenPort: 0, target: `127.0.0.1:${port}` })));
      const initialCluster = ids.map((id, i) => `${id}=${proxies[i]?.address ?? ""}`).join(",");
      ids.forEach((id, i) => {
        const proxy = proxies[i];
        const raftPort = raftPorts[i];
        if (proxy === undefined || raftPort === undefined) throw new Error(`no proxy or port for ${id}`);
        const process = new ServeProcess({
          id,
          dataDir: join(root, id),
          logLevel: options.logLevel,
          flags: [
            "--raft-listen",
            `127.0.0.1:${raftPort}`,
            "--advertise-raft",
            proxy.address,
            "--initial-cluster",
            initialCluster,
            ...(options.flags ?? fastRaftFlags),
          ],
        });
        members.push({ process, proxy, raftPort });
      });
      await Promise.all(members.map((m) => m.process.start()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get nodes(): ServeProcess[] {
    return this.members.map((m) => m.process);
  }

  member(id: string): ProxiedMember {
    const found = this.members.find((m) => m.process.id === id);
    if (found === undefined) throw new Error(`no node ${id} (nodes: ${this.nodes.map((n) => n.id).join(", ")})`);
    return found;
  }

  node(id: string): ServeProcess {
    return this.member(id).process;
  }

  others(id: string): ServeProcess[] {
    return this.nodes.filter((n) => n.id !== id);
  }

  /** A node other than `leaderId`. */
  follower(leaderId: string): ServeProcess {
    const follower = this.others(leaderId)[0];
    if (follower === undefined) throw new Error(`a ${this.nodes.length}-node cluster without followers`);
    return follower;
  }

  /**
   * Cuts every Raft link between different groups, both ways (blackhole:
   * senders see writes succeed that never arrive); links inside a group flow.
   * Every node must be in exactly one group. Replaces any earlier partition.
   */
  partition(groups: readonly (readonly string[])[]): void {
    const groupOf = new Map<string, number>();
    groups.forEach((group, g) => {
      for (const id of group) {
        this.member(id);
        if (groupOf.has(id)) throw new Error(`node ${id} is in two groups`);
        groupOf.set(id, g);
      }
    });
    const unplaced = this.nodes.filter((n) => !groupOf.has(n.id)).map((n) => n.id);
    if (unplaced.length > 0) throw new Error(`nodes in no group: ${unplaced.join(", ")}`);
    this.heal();
    for (const target of this.members) {
      const own = groupOf.get(target.process.id);
      const foreign = this.nodes.filter((n) => groupOf.get(n.id) !== own).map((n) => n.id);
      target.proxy.blockSenders(foreign);
    }
  }

  /**
   * Cuts the one-way Raft link from → to (to's proxy blocks sender from);
   * the reverse direction keeps flowing: an asymmetric partition.
   */
  cutLink(from: string, to: string, mode: CutMode = "blackhole"): void {
    this.member(from);
    this.member(to).proxy.blockSenders([from], mode);
  }

  /**
   * Cuts both directions between a and b only. With three nodes,
   * `cutBetween("n1", "n3")` leaves n2 as the bridge that still reaches both.
   */
  cutBetween(a: string, b: string, mode: CutMode = "blackhole"): void {
    this.cutLink(a, b, mode);
    this.cutLink(b, a, mode);
  }

  /** One node against all the others. */
  isolate(id: string): void {
    this.partition([[id], this.others(id).map((n) => n.id)]);
  }

  /** Lifts every cut on every proxy. */
  heal(): void {
    for (const m of this.members) m.proxy.heal();
  }

  /** The leader id `node` reports (stale read of its own view); "" when it knows none. */
  static async leaderSeenBy(node: ServeProcess): Promise<string> {
    const answer = await node.client().get({ key: probeKey, consistency: Consistency.STALE }, { timeoutMs: 2000 });
    return answer.header?.leaderId ?? "";
  }

  /** Waits until every node of `among` reports the same leader, itself one of `among`. */
  async awaitLeader(among: readonly ServeProcess[] = this.nodes, timeoutMs = 20_000): Promise<ServeProcess> {
    const id = await eventually(
      `a leader agreed on by ${among.map((n) => n.id).join(", ")}`,
      async () => {
        const seen = await Promise.all(among.map((n) => ProxiedCluster.leaderSeenBy(n)));
        const first = seen[0];
        const agreed = first !== undefined && first !== "" && seen.every((s) => s === first);
        return agreed && among.some((n) => n.id === first) ? first : undefined;
      },
      timeoutMs,
    );
    return this.node(id);
  }

  async stop(): Promise<void> {
    for (const m of this.members) await m.process.kill();
    await Promise.all(this.members.map((m) => m.proxy.close()));
    removeDir(this.root);
  }
}
