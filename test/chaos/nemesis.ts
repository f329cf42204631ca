import { join } from "node:path";
import { type FailpointName, failpointNames } from "../../src/failpoint/failpoints.ts";
import type { SeededRandom } from "../../src/random/seeded-random.ts";
import type { Cluster } from "./cluster.ts";
import { clusterServiceAvailable } from "./cluster-admin.ts";
import type { ClusterProbe } from "./cluster-probe.ts";
import { adminFaults, type FaultKind, type FaultRecord, singleNodeFaults, zeroFaultCounts } from "./fault-kind.ts";
import { type AdminFaultOutcome, replaceMember, transferLeadership } from "./membership-faults.ts";
import { delayLinks, type LinkFaultTiming, loseOnLinks, partition } from "./network-faults.ts";
import { type NodeProcess, NodeStartError } from "./node-process.ts";
import type { RaftNetwork } from "./raft-network.ts";
import { loseUnsyncedCommits, type TornTail, tearWalTail } from "./torn-tail.ts";

export { type FaultKind, type FaultRecord, singleNodeFaults } from "./fault-kind.ts";

/** The crash windows the chaos schedules aim at: every failpoint of src/failpoint/failpoints.ts. */
const chaosFailpoints: readonly FailpointName[] = failpointNames;

export interface NemesisOptions {
  readonly kinds: readonly FaultKind[];
  /** Healthy time between faults, ms. */
  readonly gapMs: readonly [number, number];
  /** SIGSTOP duration, ms: longer than the election timeout (at most 1 s with the chaos timings). */
  readonly pauseMs: readonly [number, number];
  /** Time a killed node stays down, ms. */
  readonly downMs: readonly [number, number];
  /** Probability that a kill's restart is itself killed part-way. */
  readonly crashDuringRecovery: number;
  /** Probability that a process fault hits the current leader rather than a random node. */
  readonly leaderBias: number;
  readonly links: LinkFaultTiming;
  /** How long a node that joined may take to catch up. */
  readonly catchUpMs: number;
}

export const defaultNemesisOptions: NemesisOptions = {
  kinds: singleNodeFaults,
  gapMs: [500, 2_000],
  pauseMs: [1_200, 2_500],
  downMs: [0, 800],
  crashDuringRecovery: 0.3,
  leaderBias: 0.5,
  links: { durationMs: [1_500, 4_000], delayMs: [30, 300], lossPercent: [2, 30] },
  catchUpMs: 30_000,
};

/** A node that would not come back; the run stops and reports it. */
export class NodeRefusedError extends Error {
  constructor(
    readonly fault: FaultKind,
    readonly startError: NodeStartError,
  ) {
    super(`after ${fault}: ${startError.message}`);
    this.name = "NodeRefusedError";
  }
}

/** What the nemesis acts through. */
export interface NemesisTargets {
  readonly cluster: Cluster;
  readonly network: RaftNetwork;
  readonly probe: ClusterProbe;
}

/**
 * Injects faults on a seeded schedule until told to stop. Kinds are drawn in
 * shuffled rounds (every kind once per round, order random), so even a short
 * run exercises each kind while the schedule stays a function of the seed.
 * Every fault is healed before the next one starts, and before `run` returns.
 * (Timing-dependent choices — who leads when a fault starts — make a replay
 * follow the same schedule of kinds, not the same exact interleaving.)
 */
export class Nemesis {
  readonly faults: FaultRecord[] = [];
  /** Misbehaviour seen while injecting (e.g. a shutdown that hangs): each is an anomaly. */
  readonly findings: string[] = [];
  /** Kinds asked for but left out, with why (e.g. the Cluster service is not served yet). */
  readonly unavailable: string[] = [];
  private round: FaultKind[] = [];
  private kinds: readonly FaultKind[];

  /** The kinds this run draws from (asked for, minus the unavailable ones once `run` started). */
  get injectable(): readonly FaultKind[] {
    return this.kinds;
  }
  private readonly cluster: Cluster;

  constructor(
    private readonly targets: NemesisTargets,
    private readonly prng: SeededRandom,
    private readonly options: NemesisOptions,
  ) {
    if (options.kinds.length === 0) throw new Error("nemesis: no fault kinds enabled");
    this.cluster = targets.cluster;
    this.kinds = options.kinds;
  }

  /**
   * Runs until `shouldStop` says so and every enabled kind has been injected
   * at least once — so a short or slow run still exercises each kind, at the
   * cost of overrunning by at most one round.
   */
  async run(shouldStop: () => boolean): Promise<void> {
    await this.dropUnavailableKinds();
    const done = (): boolean => shouldStop() && this.kinds.every((k) => this.faults.some((f) => f.kind === k));
    while (!done()) {
      await Bun.sleep(this.between(this.options.gapMs));
      if (done()) break;
      await this.inject(this.nextKind());
    }
  }

  private async dropUnavailableKinds(): Promise<void> {
    const multiNode = this.cluster.nodes.length >= 3;
    const needsCluster = this.kinds.filter((k) => !singleNodeFaults.includes(k));
    if (!multiNode && needsCluster.length > 0) {
      this.unavailable.push(`${needsCluster.join(",")}: need 3 or more nodes`);
      this.kinds = this.kinds.filter((k) => singleNodeFaults.includes(k));
      return;
    }
    const wanted = this.kinds.filter((k) => adminFaults.includes(k));
    if (wanted.length > 0 && !(await clusterServiceAvailable(this.cluster.node(0).endpoint))) {
      this.unavailable.push(`${wanted.join(",")}: the Cluster service answers Unimplemented`);
      this.kinds = this.kinds.filter((k) => !adminFaults.includes(k));
    }
  }

  private nextKind(): FaultKind {
    if (this.round.length === 0) this.round = this.prng.shuffled(this.kinds);
    const kind = this.round.pop();
    if (kind === undefined) throw new Error("nemesis: empty round");
    return kind;
  }

  /** The leader more often than the others (losing it is what exercises elections and failover). */
  private async processTarget(): Promise<NodeProcess> {
    if (this.cluster.nodes.length > 1 && this.prng.next() < this.options.leaderBias) {
      const leader = await this.targets.probe.leader();
      if (leader !== undefined) return this.cluster.member(leader).node;
    }
    return this.prng.pick(this.cluster.nodes);
  }

  private async inject(kind: FaultKind): Promise<void> {
    // A node that died on its own (recorded by NodeProcess as a finding) is brought back first.
    for (const node of this.cluster.nodes) if (node.state === "stopped") await this.restart(kind, node);
    const start = performance.now();
    const { nodes, detail } = await this.perform(kind);
    this.faults.push({ kind, node: nodes.join(","), start, end: performance.now(), detail });
  }

  private async perform(kind: FaultKind): Promise<{ readonly nodes: readonly string[]; readonly detail: string }> {
    const ids = this.cluster.nodes.map((n) => n.id);
    const links = this.options.links;
    switch (kind) {
      case "kill":
      case "pause":
      case "torn-write":
      case "graceful-restart": {
        const node = await this.processTarget();
        return { nodes: [node.id], detail: await this.processFault(kind, node) };
      }
      case "failpoint-crash":
        return this.failpointCrash();
      case "partition":
        return partition(this.targets.network, ids, await this.targets.probe.leader(), links, this.prng);
      case "link-delay":
        return delayLinks(this.targets.network, ids, links, this.prng);
      case "link-loss":
        return loseOnLinks(this.targets.network, ids, links, this.prng);
      case "leader-transfer":
        return this.admin(await transferLeadership(this.cluster, this.targets.probe, this.prng));
      case "cluster-crash":
        return { nodes: ids, detail: await this.crashEveryNode() };
      case "membership":
        try {
          return this.admin(await replaceMember(this.cluster, this.targets.probe, this.prng, this.options.catchUpMs));
        } catch (error) {
          if (error instanceof NodeStartError) throw new NodeRefusedError(kind, error);
          throw error;
        }
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown fault ${String(unreachable)}`);
      }
    }
  }

  /**
   * A crash exactly inside a critical window (src/failpoint/failpoints.ts):
   * the node is restarted with one failpoint armed, dies there by itself,
   * and is restarted plainly. The snapshot windows are reached by a node
   * that was down long enough for the others to compact past it (it then
   * catches up by InstallSnapshot); the log and apply windows at a random
   * write of a node under load.
   */
  private async failpointCrash(): Promise<{ readonly nodes: readonly string[]; readonly detail: string }> {
    const point = this.prng.pick(chaosFailpoints);
    const snapshotWindow = point.startsWith("snapshot.");
    const node = snapshotWindow ? await this.followerTarget() : await this.processTarget();
    const armed = snapshotWindow ? `${point}=crash` : `${point}=crash@${this.prng.between(5, 300)}`;
    await node.kill();
    // Long enough, under the workload, for the others to snapshot and compact past it.
    if (snapshotWindow) await Bun.sleep(this.prng.between(2_500, 4_000));
    let reached: string;
    try {
      await node.start(armed);
      reached = (await node.awaitOwnExit(snapshotWindow ? 15_000 : 10_000)) ? "crashed there" : "not reached in time";
      if (reached !== "crashed there") await node.kill();
    } catch (error) {
      if (!(error instanceof NodeStartError)) throw error;
      reached = "crashed there during start";
    }
    await this.restart("failpoint-crash", node);
    return { nodes: [node.id], detail: `${armed}: ${reached}, restarted` };
  }

  /** A node that is not the leader (the leader is the one sending snapshots, not receiving them). */
  private async followerTarget(): Promise<NodeProcess> {
    const leader = await this.targets.probe.leader();
    const followers = this.cluster.nodes.filter((n) => n.id !== leader);
    return this.prng.pick(followers.length > 0 ? followers : this.cluster.nodes);
  }

  private admin(outcome: AdminFaultOutcome): AdminFaultOutcome {
    if (outcome.finding !== undefined) this.findings.push(outcome.finding);
    return outcome;
  }

  private async processFault(kind: "kill" | "pause" | "torn-write" | "graceful-restart", node: NodeProcess): Promise<string> {
    switch (kind) {
      case "kill": {
        await node.kill();
        const down = this.between(this.options.downMs);
        await Bun.sleep(down);
        // Sometimes crash it again while it recovers (opening SQLite, replaying the log).
        const crashAfter = this.prng.next() < this.options.crashDuringRecovery ? this.prng.between(20, 400) : undefined;
        if (crashAfter !== undefined) await node.startAndCrash(crashAfter);
        await this.restart(kind, node);
        return `down ${down} ms${crashAfter === undefined ? "" : `, killed again ${crashAfter} ms into a restart`}`;
      }
      case "pause": {
        const paused = this.between(this.options.pauseMs);
        node.pause();
        await Bun.sleep(paused);
        node.resume();
        return `paused ${paused} ms`;
      }
      case "torn-write": {
        await node.kill();
        const torn = this.tearWals(node);
        await this.restart(kind, node);
        return torn;
      }
      case "graceful-restart": {
        // SIGTERM under load: in-flight requests must be answered or fail cleanly, queued writes flushed.
        const stopped = await node.stop(10_000);
        if (stopped.kind === "killed-after-grace") this.findings.push(`${node.id} did not exit within 10 s of SIGTERM`);
        if (stopped.kind === "exited" && stopped.code !== 0) this.findings.push(`${node.id} exited with code ${stopped.code} after SIGTERM`);
        await this.restart(kind, node);
        return `SIGTERM (${stopped.kind === "exited" ? `exit ${stopped.code}` : stopped.kind}), restarted`;
      }
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown process fault ${String(unreachable)}`);
      }
    }
  }

  /**
   * Power loss of the whole cluster: every node SIGKILLed at once, each
   * WAL losing what it had not synced (as torn-write), then all restarted
   * together. Every acknowledged write was fsynced on a majority, so none
   * may be lost.
   */
  private async crashEveryNode(): Promise<string> {
    const nodes = this.cluster.nodes;
    await Promise.all(nodes.map((n) => n.kill()));
    const torn = nodes.map((n) => (this.prng.next() < 0.5 ? `${n.id}: ${this.tearWals(n)}` : `${n.id}: intact`));
    const down = this.between(this.options.downMs);
    await Bun.sleep(down);
    await Promise.all(nodes.map((n) => this.restart("cluster-crash", n)));
    return `all ${nodes.length} nodes down ${down} ms; ${torn.join("; ")}`;
  }

  private tearWals(node: NodeProcess): string {
    const torn = [
      tearWalTail(join(node.dataDir, "raft.db-wal"), this.prng),
      loseUnsyncedCommits(join(node.dataDir, "kv.db-wal"), join(node.dataDir, "kv.db-shm"), this.prng),
    ];
    return torn.map(describeTear).join(", ");
  }

  private async restart(kind: FaultKind, node: NodeProcess): Promise<void> {
    try {
      await node.start();
    } catch (error) {
      if (error instanceof NodeStartError) throw new NodeRefusedError(kind, error);
      throw error;
    }
  }

  private between(range: readonly [number, number]): number {
    return this.prng.between(range[0], range[1]);
  }

  countsByKind(): Record<FaultKind, number> {
    const counts = zeroFaultCounts();
    for (const f of this.faults) counts[f.kind]++;
    return counts;
  }
}

function describeTear(t: TornTail): string {
  const name = t.file.split("/").pop() ?? t.file;
  const lost = t.lostCommits === undefined ? "" : `, ${t.lostCommits} commits lost`;
  return `${name} ${t.action} ${t.sizeBefore}->${t.sizeAfter} (committed end ${t.committedEnd}${lost})`;
}
