import { checkLinearizable } from "../../../src/check/linearizability.ts";
import { registerModel } from "../../../src/check/register-model.ts";
import type { InitialMember } from "../../../src/engine/bootstrap.ts";
import type { RaftTiming } from "../../../src/engine/timing.ts";
import type { FailpointName } from "../../../src/failpoint/failpoints.ts";
import type { MembershipChange } from "../../../src/raft/membership-change.ts";
import { Prng } from "../prng.ts";
import { chooseNodeProfile, describeNodeProfile, type NodeFaultProfile } from "./node-fault-profile.ts";
import { InvariantViolation, NodeInvariants } from "./node-invariants.ts";
import { NodeWorkload } from "./node-workload.ts";
import { SimForger } from "./sim-forger.ts";
import { type HostContext, SimHost } from "./sim-host.ts";
import { SimWire } from "./sim-wire.ts";
import { VirtualTime } from "./virtual-time.ts";

export interface NodeSimOptions {
  readonly seed: number;
  readonly nodeCount: number;
  /** Virtual milliseconds with faults; a quiet period follows. */
  readonly duration: number;
  readonly trace?: (line: string) => void;
}

export interface NodeSimResult {
  readonly seed: number;
  readonly nodeCount: number;
  readonly ok: boolean;
  readonly failure: string | undefined;
  readonly writes: number;
  readonly reads: number;
  readonly leaderTerms: number;
  readonly profile: string;
  /** Forged payloads live nodes read (every one dropped, or the run failed). */
  readonly forged: number;
  /** Peer payloads the nodes dropped, per reason, forged ones included. */
  readonly rejected: ReadonlyMap<string, number>;
}

/** Virtual milliseconds; ticks of 10 ms, so an election timeout is 100 ms. */
const timing: RaftTiming = { tickMs: 10, heartbeatTimeoutMs: 100, electionTimeoutMs: 100, leaderLeaseMs: 50 };
const quietPeriod = 4000;
const keys = ["x", "y", "z"];

class SimFailure extends Error {}

/**
 * The whole node under simulation: real RaftEngines (ready loop, group
 * commit, snapshot sender and receiver, start-up recovery, incarnation
 * checks) over in-memory stores that lose what a crash loses, a simulated
 * network and one virtual clock; faults from a seeded schedule; Raft's
 * invariants checked after every step and the clients' history checked for
 * linearizability at the end. Same seed, same run.
 */
export class NodeSimulation {
  private readonly rng: Prng;
  private readonly profile: NodeFaultProfile;
  private readonly time = new VirtualTime();
  private readonly wire: SimWire;
  private readonly hosts: SimHost[] = [];
  private readonly invariants = new NodeInvariants();
  private readonly workload: NodeWorkload;
  private readonly forger: SimForger;
  private faultsOn = true;
  private failure: string | undefined;
  /** A host whose data dir was lost and has not caught up again yet: one at a time, or data can be lost for real. */
  private recovering: SimHost | undefined;
  private refused: { readonly host: SimHost; readonly since: number } | undefined;
  /** Membership changes asked of a leader and not settled yet: not in any log yet, so the wipe guard cannot see them. */
  private changesInFlight = 0;

  constructor(private readonly options: NodeSimOptions) {
    this.rng = new Prng(options.seed);
    this.profile = chooseNodeProfile(this.rng);
    this.wire = new SimWire(this.time, this.profile.wire, this.rng.fork());
    const ids = Array.from({ length: options.nodeCount }, (_, i) => `n${i + 1}`);
    const soleVoter = this.profile.soleVoter;
    const initialCluster: InitialMember[] = (soleVoter ? ids.slice(0, 1) : ids).map((id) => ({ id, raftAddress: `raft-${id}` }));
    const ctx: HostContext = {
      time: this.time,
      wire: this.wire,
      clusterId: `sim-${options.seed}`,
      initialCluster,
      timing,
      snapshotThreshold: 20,
      snapshotIntervalMs: 150,
      trailingLogs: 8,
      applied: (host, entry) => this.guard(() => this.invariants.onApplied(host, entry)),
      crashAt: (_host, point) => this.crashAt(point),
      startFailed: (host, error) => this.fail(`${host.id} could not start: ${error instanceof Error ? error.message : String(error)}`),
      leaderOf: () => this.leader(),
      trace: (line) => this.trace(line),
      tracing: options.trace !== undefined,
    };
    for (const id of ids) {
      const rate = 1 + (this.rng.next() * 2 - 1) * this.profile.drift;
      const host = new SimHost(id, ctx, this.rng.fork(), rate);
      if (soleVoter && id !== "n1") {
        host.joins = true;
        host.joinAs = "nonvoter";
      }
      this.hosts.push(host);
    }
    this.forger = new SimForger(
      this.wire,
      this.hosts,
      this.rng.fork(),
      (message) => this.fail(message),
      (line) => this.trace(line),
    );
    this.workload = new NodeWorkload(
      { clients: 4, keys, rate: 0.02, readRatio: 0.5, leaseReads: this.profile.leaseReads, clientTimeoutMs: 1500 },
      this.rng.fork(),
      () => this.time.now,
      (line) => this.trace(line),
    );
  }

  private trace(line: () => string): void {
    if (this.options.trace !== undefined) this.options.trace(`[${this.time.now}] ${line()}`);
  }

  private fail(message: string): void {
    this.failure ??= `t=${this.time.now}: ${message}`;
  }

  /** Invariant checks run inside engine callbacks: a violation must stop the run, not the engine. */
  private guard(check: () => void): void {
    try {
      check();
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
    }
  }

  private crashAt(point: FailpointName): boolean {
    if (!this.faultsOn) return false;
    return this.rng.chance(this.profile.failpoints.get(point) ?? 0);
  }

  private leader(): SimHost | undefined {
    let best: SimHost | undefined;
    let bestTerm = -1;
    for (const host of this.hosts) {
      const status = host.engine?.status();
      if (status?.role === "leader" && status.term > bestTerm && host.clock?.paused !== true) {
        best = host;
        bestTerm = status.term;
      }
    }
    return best;
  }

  async run(): Promise<NodeSimResult> {
    try {
      for (const host of this.hosts) void host.start();
      for (let t = 1; t <= this.options.duration && this.failure === undefined; t++) await this.step(t);
      if (this.failure === undefined) await this.quiet();
      if (this.failure === undefined) this.checkHistory();
    } catch (error) {
      if (error instanceof InvariantViolation || error instanceof SimFailure) this.fail(error.message);
      else this.fail(`crash in an engine or the simulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    const rejected = new Map<string, number>();
    for (const host of this.hosts) for (const [reason, n] of host.rejections()) if (n > 0) rejected.set(reason, (rejected.get(reason) ?? 0) + n);
    for (const host of this.hosts) host.crash("process", "end of run");
    return {
      seed: this.options.seed,
      nodeCount: this.options.nodeCount,
      ok: this.failure === undefined,
      failure: this.failure,
      writes: this.workload.completedWrites,
      reads: this.workload.completedReads,
      leaderTerms: this.invariants.leaderTerms,
      profile: describeNodeProfile(this.profile),
      forged: [...this.forger.delivered.values()].reduce((sum, n) => sum + n, 0),
      rejected,
    };
  }

  private async step(t: number): Promise<void> {
    if (this.faultsOn) this.injectFaults();
    this.workload.issue(this.time.now, this.hosts);
    await this.time.runUntil(t);
    this.invariants.now = t;
    this.invariants.check(this.hosts);
  }

  // ------------------------------------------------------------------ faults

  private injectFaults(): void {
    const rng = this.rng;
    const p = this.profile;
    const churn = p.churn;
    if (p.crashes && rng.chance(0.0006 * churn)) {
      const live = this.hosts.filter((h) => h.up);
      if (live.length > 0) {
        const victim = rng.chance(0.5) ? (this.leader() ?? rng.pick(live)) : rng.pick(live);
        victim.crash(rng.chance(p.powerLoss) ? "power" : "process", "injected");
      }
    }
    for (const host of this.hosts) {
      if (!host.up && !host.starting && rng.chance(0.004)) void host.start();
    }
    if (p.partitions) {
      if (!this.wire.partitioned && rng.chance(0.0008 * churn)) {
        const ids = this.hosts.map((h) => h.id);
        const leader = this.leader();
        const isolated = leader !== undefined && rng.chance(0.5) ? leader.id : rng.pick(ids);
        const groups = rng.chance(0.5) ? [[isolated], ids.filter((id) => id !== isolated)] : splitRandomly(ids, rng);
        this.wire.partition(groups);
        this.trace(() => `partition ${JSON.stringify(groups)}`);
      } else if (this.wire.partitioned && rng.chance(0.002 * churn)) {
        this.wire.heal();
        this.trace(() => "heal");
      }
    }
    if (p.oneWayCuts && !this.wire.partitioned && rng.chance(0.0005 * churn)) {
      const from = rng.pick(this.hosts).id;
      const to = this.hosts.filter((h) => h.id !== from && rng.chance(0.6)).map((h) => h.id);
      this.wire.cutOneWay(from, to);
      this.trace(() => `one-way cut from ${from} to ${to.join(",")}`);
    }
    if (p.pauses && rng.chance(0.0005 * churn)) {
      const leader = this.leader();
      const victim = leader !== undefined && rng.chance(0.6) ? leader : rng.pick(this.hosts);
      const clock = victim.clock;
      if (clock !== undefined && !clock.paused && victim.up) {
        clock.paused = true;
        const until = this.time.now + rng.between(50, 600);
        this.trace(() => `pause ${victim.id} until ${until}`);
        this.time.schedule(until, undefined, () => {
          if (victim.clock === clock) clock.resume();
          this.trace(() => `resume ${victim.id}`);
        });
      }
    }
    if (p.diskFailures && rng.chance(0.0002 * churn)) {
      const victim = this.leader() ?? rng.pick(this.hosts);
      if (victim.up) {
        victim.diskFaulty = true;
        this.trace(() => `${victim.id}: raft.db writes start failing`);
        // The engine stops at its next write; the process is restarted after a while, as a supervisor would.
        this.time.schedule(this.time.now + rng.between(100, 500), undefined, () => victim.crash("process", "disk failure"));
      }
    }
    if (p.forgery && rng.chance(0.02 * churn)) this.forger.inject();
    if (p.membership && rng.chance(0.0008)) this.changeMembership();
    if (p.transfers && rng.chance(0.0005)) {
      const leader = this.leader();
      const engine = leader?.engine;
      if (leader !== undefined && engine !== undefined) {
        const voters = engine
          .membership()
          .members.filter((m) => m.suffrage === "voter" && m.id !== leader.id)
          .map((m) => m.id);
        const target = voters.length === 0 || rng.chance(0.3) ? undefined : rng.pick(voters);
        this.trace(() => `transfer leadership from ${leader.id} to ${String(target)}`);
        engine.admin.transferLeadership(target).catch(() => {});
      }
    }
    this.maybeWipe();
  }

  private maybeWipe(): void {
    const rng = this.rng;
    const p = this.profile;
    this.checkRecovered();
    const refused = this.refused;
    if (refused !== undefined && this.time.now - refused.since > 600) {
      // The operator reads the refusal and does what it says: the node comes back with --join.
      this.refused = undefined;
      refused.host.wipe(true);
      refused.host.joinAs = "voter";
      this.recovering = refused.host;
      this.trace(() => `${refused.host.id}: the operator restarts it with --join`);
      this.time.schedule(this.time.now + 20, undefined, () => void refused.host.start());
      return;
    }
    if (this.recovering !== undefined || this.refused !== undefined || !rng.chance(0.0004 * p.churn)) return;
    // A change still on its way into the log (a demotion, say) may leave fewer voters than the guard below counts.
    if (this.changesInFlight > 0) return;
    const leader = this.leader();
    if (leader?.engine === undefined) return;
    // Only against a committed configuration: an uncommitted one may count a voter that is not one yet.
    const membership = leader.engine.membership();
    if (membership.index > leader.engine.status().commitIndex) return;
    const members = membership.members;
    const voters = members.filter((m) => m.suffrage === "voter");
    // Which data dir to lose: a voter's only while the others still make a quorum. With fewer, losing
    // one is a disaster no consensus system recovers from on its own (nothing holds that data twice).
    const candidates = this.hosts.filter((h) => voters.length >= 3 || !voters.some((v) => v.id === h.id));
    if (candidates.length === 0) return;
    const victim = rng.pick(candidates);
    // Nor when any node's newest configuration (committed or not: it takes effect when appended)
    // would be left without a quorum that still holds its data.
    const strandsAConfiguration = this.hosts.some((h) => {
      const voterIds =
        h.engine
          ?.membership()
          .members.filter((m) => m.suffrage === "voter")
          .map((m) => m.id) ?? [];
      return voterIds.includes(victim.id) && voterIds.length < 3;
    });
    if (strandsAConfiguration) return;
    const recorded = members.find((m) => m.id === victim.id);
    const rebootstrap = p.wipeAndRebootstrap && !p.soleVoter && (!p.wipeAndJoin || rng.chance(0.5));
    if (rebootstrap) {
      // Only once the configuration records its incarnation: before that a re-created dir cannot be told apart (README).
      if (recorded?.incarnation !== victim.incarnation || victim.incarnation === "") return;
      victim.wipe(false);
      this.refused = { host: victim, since: this.time.now };
      this.trace(() => `${victim.id}: data dir lost; restarted with the same --initial-cluster`);
    } else if (p.wipeAndJoin) {
      victim.wipe(true);
      victim.joinAs = p.soleVoter ? "nonvoter" : "voter";
      this.recovering = victim;
      this.trace(() => `${victim.id}: data dir lost; restarted with --join`);
    } else {
      return;
    }
    this.time.schedule(this.time.now + rng.between(1, 300), undefined, () => void victim.start());
  }

  /** The wiped host is a member again under its new incarnation and has caught up with the leader. */
  private checkRecovered(): void {
    const host = this.recovering;
    if (host === undefined) return;
    const leader = this.leader();
    const leaderStatus = leader?.engine?.status();
    const self = leader?.engine?.membership().members.find((m) => m.id === host.id);
    const status = host.engine?.status();
    const wanted = host.joinAs;
    const membershipIndex = leader?.engine?.membership().index ?? Number.POSITIVE_INFINITY;
    if (
      leaderStatus !== undefined &&
      status !== undefined &&
      membershipIndex <= leaderStatus.commitIndex &&
      self?.incarnation === host.incarnation &&
      self.suffrage === wanted &&
      status.appliedIndex >= leaderStatus.commitIndex
    ) {
      this.trace(() => `${host.id}: recovered (incarnation ${host.incarnation}, applied ${status.appliedIndex})`);
      this.recovering = undefined;
    }
  }

  private changeMembership(): void {
    const leader = this.leader();
    const engine = leader?.engine;
    if (leader === undefined || engine === undefined || this.recovering !== undefined || this.refused !== undefined) return;
    const config = engine.membership();
    const voters = config.members.filter((m) => m.suffrage === "voter");
    const candidates: MembershipChange[] = [];
    for (const host of this.hosts) {
      const member = config.members.find((m) => m.id === host.id);
      const addresses = { raftAddress: host.raftAddress, clientAddress: host.clientAddress };
      if (member === undefined) {
        if (host.up) candidates.push({ kind: "addNonvoter", id: host.id, ...addresses, incarnation: host.incarnation });
      } else if (member.suffrage === "nonvoter") {
        if (!this.profile.soleVoter) candidates.push({ kind: "addVoter", id: host.id, ...addresses });
        candidates.push({ kind: "removeServer", id: host.id });
      } else if (voters.length > 2 && !this.profile.soleVoter) {
        candidates.push({ kind: "demoteVoter", id: host.id }, { kind: "removeServer", id: host.id });
      }
    }
    if (candidates.length === 0) return;
    const change = this.rng.pick(candidates);
    this.trace(() => `membership change at ${leader.id}: ${JSON.stringify(change)}`);
    const admin = engine.admin;
    const done = (() => {
      switch (change.kind) {
        case "addVoter":
          return admin.addVoter(change.id, change.raftAddress, change.clientAddress);
        case "addNonvoter":
          return admin.addNonvoter(change.id, change.raftAddress, change.clientAddress, 0, undefined, change.incarnation ?? "");
        case "demoteVoter":
          return admin.demoteVoter(change.id);
        case "removeServer":
          return admin.removeServer(change.id);
        case "updateMember":
          return Promise.resolve();
        default: {
          const unreachable: never = change;
          throw new Error(`unknown change ${JSON.stringify(unreachable)}`);
        }
      }
    })();
    this.changesInFlight++;
    done.catch(() => {}).finally(() => this.changesInFlight--);
  }

  // ------------------------------------------------------------------- the end

  /**
   * Faults stop, the network heals, every node runs; then every member of
   * the final configuration must reach the leader's state (a cluster that
   * cannot is a liveness failure), and a last read of every key on every
   * node joins the history.
   */
  private async quiet(): Promise<void> {
    this.faultsOn = false;
    this.wire.heal();
    this.wire.calm();
    for (const host of this.hosts) {
      if (host.clock?.paused === true) host.clock.resume();
    }
    const refused = this.refused;
    if (refused !== undefined) {
      this.refused = undefined;
      refused.host.wipe(true);
      refused.host.joinAs = "voter";
    }
    const end = this.time.now + quietPeriod;
    let converged = false;
    while (this.time.now < end && this.failure === undefined) {
      for (const host of this.hosts) if (!host.up && !host.starting) void host.start();
      this.workload.issue(this.time.now, this.hosts);
      await this.time.runUntil(this.time.now + 1);
      this.invariants.now = this.time.now;
      this.invariants.check(this.hosts);
      if (this.time.now % 50 === 0 && this.converged()) {
        converged = true;
        break;
      }
    }
    if (this.failure !== undefined) return;
    if (!converged) throw new SimFailure(`no convergence within ${quietPeriod} ms of quiet: ${this.describeState()}`);
    await this.finalReads();
  }

  private converged(): boolean {
    const leader = this.leader();
    const engine = leader?.engine;
    if (leader === undefined || engine === undefined) return false;
    const leaderStatus = engine.status();
    if (leaderStatus.commitIndex !== leaderStatus.lastLogIndex || engine.stats().pendingPromotions.length > 0) return false;
    const values = JSON.stringify([...(leader.values() ?? new Map<string, string>())].sort());
    for (const member of engine.membership().members) {
      const host = this.hosts.find((h) => h.id === member.id);
      const status = host?.engine?.status();
      if (host === undefined || status === undefined) return false;
      if (member.incarnation !== undefined && member.incarnation !== host.incarnation) return false;
      if (status.appliedIndex !== leaderStatus.appliedIndex) return false;
      if (JSON.stringify([...(host.values() ?? new Map<string, string>())].sort()) !== values) return false;
    }
    return true;
  }

  private describeState(): string {
    const engine = this.leader()?.engine;
    const stats = engine?.stats();
    const config =
      engine === undefined || stats === undefined
        ? "no leader"
        : `configuration ${JSON.stringify(engine.membership())}, pending promotions ${stats.pendingPromotions.join(",") || "none"}, ` +
          `progress ${stats.peers.map((p) => `${p.id}:${p.state}/match ${p.match}/next ${p.next}/contact ${p.ticksSinceContact}`).join(" ")}`;
    const hosts = this.hosts.map((h) => {
      const s = h.engine?.status();
      return s === undefined ? `${h.id}: down` : `${h.id}: ${s.role} term ${s.term} commit ${s.commitIndex} applied ${s.appliedIndex} last ${s.lastLogIndex}`;
    });
    return `${config}; ${hosts.join("; ")}`;
  }

  /** One linearizable read of every key on every running node, as clients of their own. */
  private async finalReads(): Promise<void> {
    const reads: Promise<void>[] = [];
    let client = 1000;
    for (const host of this.hosts) {
      const engine = host.engine;
      if (engine === undefined) continue;
      for (const key of keys) {
        const id = this.workload.history.invoke(client++, { kind: "read", key }, this.time.now);
        reads.push(
          engine.readBarrier("linearizable").then(
            () => this.workload.history.ok(id, { kind: "read", value: host.values()?.get(key) ?? null }, this.time.now),
            () => this.workload.history.fail(id),
          ),
        );
      }
    }
    const deadline = this.time.now + 1000;
    let settled = false;
    void Promise.all(reads).then(() => {
      settled = true;
    });
    while (!settled && this.time.now < deadline) await this.time.runUntil(this.time.now + 5);
  }

  private checkHistory(): void {
    const check = checkLinearizable(registerModel, this.workload.history.operations(), { timeoutMs: 20_000 });
    switch (check.kind) {
      case "ok":
        return;
      case "illegal":
        this.fail(`history not linearizable (key partition ${check.partition}): ${check.explanation}`);
        return;
      case "unknown":
        this.fail("linearizability check timed out (not a pass)");
        return;
      default: {
        const unreachable: never = check;
        throw new Error(`unknown check result ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

function splitRandomly(ids: readonly string[], rng: Prng): string[][] {
  const groups: string[][] = [[], []];
  for (const id of ids) (groups[rng.int(2)] as string[]).push(id);
  return groups;
}

export function runNodeSeed(seed: number, nodeCount: number, duration: number, trace?: (line: string) => void): Promise<NodeSimResult> {
  return new NodeSimulation({ seed, nodeCount, duration, trace }).run();
}

export function nodeReplayCommand(r: NodeSimResult, duration: number): string {
  return `bun test/sim/node/run.ts --seed ${r.seed} --nodes ${r.nodeCount} --duration ${duration} --trace`;
}
