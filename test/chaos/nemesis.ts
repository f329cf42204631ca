import { join } from "node:path";
import type { Cluster } from "./cluster.ts";
import { NodeStartError, type NodeProcess } from "./node-process.ts";
import type { SeededRandom } from "../../src/random/seeded-random.ts";
import { loseUnsyncedCommits, tearWalTail, type TornTail } from "./torn-tail.ts";

/**
 * Fault types that apply to a single node. The cluster session adds
 * partitions, link delay/loss (test/support/tcp-proxy.ts), leadership
 * transfers and membership changes here.
 */
export type FaultKind = "kill" | "pause" | "torn-write" | "graceful-restart";
export const singleNodeFaults: readonly FaultKind[] = ["kill", "pause", "torn-write", "graceful-restart"];

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly node: string;
  /** performance.now() at injection and at recovery, comparable with history times. */
  readonly start: number;
  readonly end: number;
  readonly detail: string;
}

export interface NemesisOptions {
  readonly kinds: readonly FaultKind[];
  /** Healthy time between faults, ms. */
  readonly gapMs: readonly [number, number];
  /** SIGSTOP duration, ms: longer than 1 s (the election timeout in a cluster). */
  readonly pauseMs: readonly [number, number];
  /** Time a killed node stays down, ms. */
  readonly downMs: readonly [number, number];
  /** Probability that a kill's restart is itself killed part-way. */
  readonly crashDuringRecovery: number;
}

export const defaultNemesisOptions: NemesisOptions = {
  kinds: singleNodeFaults,
  gapMs: [500, 2_000],
  pauseMs: [1_200, 2_500],
  downMs: [0, 800],
  crashDuringRecovery: 0.3,
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

/**
 * Injects faults on a seeded schedule until told to stop. Kinds are drawn in
 * shuffled rounds (every kind once per round, order random), so even a short
 * run exercises each kind while the schedule stays a function of the seed.
 * Every fault is healed before the next one starts, and before `run` returns.
 */
export class Nemesis {
  readonly faults: FaultRecord[] = [];
  /** Misbehaviour seen while injecting (e.g. a shutdown that hangs): each is an anomaly. */
  readonly findings: string[] = [];
  private round: FaultKind[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly prng: SeededRandom,
    private readonly options: NemesisOptions,
  ) {
    if (options.kinds.length === 0) throw new Error("nemesis: no fault kinds enabled");
  }

  /**
   * Runs until `shouldStop` says so and every enabled kind has been injected
   * at least once — so a short or slow run still exercises each kind, at the
   * cost of overrunning by at most one round.
   */
  async run(shouldStop: () => boolean): Promise<void> {
    const done = (): boolean => shouldStop() && this.options.kinds.every((k) => this.faults.some((f) => f.kind === k));
    while (!done()) {
      await Bun.sleep(this.between(this.options.gapMs));
      if (done()) break;
      await this.inject(this.nextKind(), this.prng.pick(this.cluster.nodes));
    }
  }

  private nextKind(): FaultKind {
    if (this.round.length === 0) this.round = this.prng.shuffled(this.options.kinds);
    const kind = this.round.pop();
    if (kind === undefined) throw new Error("nemesis: empty round");
    return kind;
  }

  private async inject(kind: FaultKind, node: NodeProcess): Promise<void> {
    // A node that died on its own (recorded by NodeProcess as a finding) is brought back first.
    if (node.state === "stopped") await this.restart(kind, node);
    const start = performance.now();
    let detail: string;
    switch (kind) {
      case "kill": {
        await node.kill();
        const down = this.between(this.options.downMs);
        await Bun.sleep(down);
        // Sometimes crash it again while it recovers (opening SQLite, replaying the log).
        const crashAfter = this.prng.next() < this.options.crashDuringRecovery ? this.prng.between(20, 400) : undefined;
        if (crashAfter !== undefined) await node.startAndCrash(crashAfter);
        await this.restart(kind, node);
        detail = `down ${down} ms${crashAfter === undefined ? "" : `, killed again ${crashAfter} ms into a restart`}`;
        break;
      }
      case "pause": {
        const paused = this.between(this.options.pauseMs);
        node.pause();
        await Bun.sleep(paused);
        node.resume();
        detail = `paused ${paused} ms`;
        break;
      }
      case "torn-write": {
        await node.kill();
        const torn = [
          tearWalTail(join(node.dataDir, "raft.db-wal"), this.prng),
          loseUnsyncedCommits(join(node.dataDir, "kv.db-wal"), join(node.dataDir, "kv.db-shm"), this.prng),
        ];
        await this.restart(kind, node);
        detail = torn.map(describeTear).join("; ");
        break;
      }
      case "graceful-restart": {
        // SIGTERM under load: in-flight requests must be answered or fail cleanly, queued writes flushed.
        const stopped = await node.stop(10_000);
        if (stopped.kind === "killed-after-grace") this.findings.push(`${node.id} did not exit within 10 s of SIGTERM`);
        if (stopped.kind === "exited" && stopped.code !== 0) this.findings.push(`${node.id} exited with code ${stopped.code} after SIGTERM`);
        await this.restart(kind, node);
        detail = `SIGTERM (${stopped.kind === "exited" ? `exit ${stopped.code}` : stopped.kind}), restarted`;
        break;
      }
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown fault ${String(unreachable)}`);
      }
    }
    this.faults.push({ kind, node: node.id, start, end: performance.now(), detail });
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
    const counts: Record<FaultKind, number> = { kill: 0, pause: 0, "torn-write": 0, "graceful-restart": 0 };
    for (const f of this.faults) counts[f.kind]++;
    return counts;
  }
}

function describeTear(t: TornTail): string {
  const name = t.file.split("/").pop() ?? t.file;
  const lost = t.lostCommits === undefined ? "" : `, ${t.lostCommits} commits lost`;
  return `${name} ${t.action} ${t.sizeBefore}->${t.sizeAfter} (committed end ${t.committedEnd}${lost})`;
}
