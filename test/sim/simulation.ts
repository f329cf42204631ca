import { checkLinearizable } from "../../src/check/linearizability.ts";
import { registerModel } from "../../src/check/register-model.ts";
import type { Member } from "../../src/raft/membership.ts";
import type { MembershipChange } from "../../src/raft/membership-change.ts";
import { findMember, voterIds } from "../../src/raft/membership-codec.ts";
import type { Message } from "../../src/raft/message.ts";
import { bootstrapEntries } from "../../src/raft/raw-node.ts";
import { chooseProfile, describeProfile, type FaultProfile } from "./fault-profile.ts";
import { InvariantChecker } from "./invariants.ts";
import { Prng } from "./prng.ts";
import { SimFailure } from "./sim-failure.ts";
import { SimNetwork } from "./sim-network.ts";
import { type NodeTimings, SimNode } from "./sim-node.ts";
import { Workload } from "./workload.ts";

export interface SimOptions {
  readonly seed: number;
  readonly nodeCount: number;
  /** Virtual time units with faults; a quiet period follows. */
  readonly duration: number;
  readonly trace?: (line: string) => void;
}

export interface SimResult {
  readonly seed: number;
  readonly nodeCount: number;
  readonly ok: boolean;
  readonly failure: string | undefined;
  readonly writes: number;
  readonly reads: number;
  readonly leaderTerms: number;
  readonly profile: string;
}

/** Time units per tick; message delays are a fraction of a tick up to a few ticks. */
const tickUnits = 10;
const quietPeriod = 600;

/** One seeded run: same seed, same schedule, same outcome. */
export class Simulation {
  private readonly rng: Prng;
  private readonly profile: FaultProfile;
  private readonly network: SimNetwork;
  private readonly nodes: SimNode[] = [];
  private readonly byId = new Map<string, SimNode>();
  private readonly phase = new Map<string, number>();
  private readonly tickPeriod = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();
  private readonly pausedFrom = new Map<string, number>();
  private readonly invariants = new InvariantChecker();
  private readonly workload: Workload;
  private now = 0;
  private faultsOn = true;
  private readonly leaderTerms = new Set<number>();
  private readonly leaderCommit = new Map<string, number>();
  private readonly crashAt = new Map<string, number>();
  private healAt = Number.POSITIVE_INFINITY;

  constructor(private readonly options: SimOptions) {
    this.rng = new Prng(options.seed);
    this.profile = chooseProfile(this.rng);
    this.network = new SimNetwork(this.profile.network, this.rng.fork());
    const timings: NodeTimings = {
      electionTicks: 10,
      heartbeatTicks: 3,
      leaseTicks: this.profile.leaseReads ? 6 : 0,
      checkQuorum: this.profile.checkQuorum,
      preVote: this.profile.preVote,
      maxEntriesPerMessage: this.profile.maxEntriesPerMessage,
      trailingLogs: 8,
      snapshotInterval: 25,
      promotionLag: 4,
      maxInflightMessages: 4,
    };
    const members: Member[] = [];
    for (let i = 1; i <= options.nodeCount; i++) {
      const id = `n${i}`;
      members.push({ id, suffrage: this.profile.soleVoter && i > 1 ? "nonvoter" : "voter", raftAddress: `raft-${id}`, clientAddress: `client-${id}` });
      const node = new SimNode(id, this.rng.fork(), timings, {
        send: (from, m) => this.send(from, m),
        applied: (node, e) => {
          this.invariants.onApplied(node, e);
          this.workload.onApplied(node, e, this.now);
        },
        readState: (node, rs) => this.workload.onReadState(node, rs),
        event: (node, ev) => this.trace(() => `${node.id} event ${JSON.stringify(ev)}`),
      });
      this.nodes.push(node);
      this.byId.set(id, node);
      this.phase.set(id, this.rng.int(tickUnits));
      this.tickPeriod.set(id, this.profile.drift ? this.rng.between(tickUnits - 2, tickUnits + 2) : tickUnits);
    }
    const boot = bootstrapEntries(members);
    for (const node of this.nodes) {
      node.storage.append(boot.entries);
      node.storage.setHardState(boot.hardState);
      node.start();
    }
    this.workload = new Workload(
      // A sole voter's first Ready must carry writes for its crash point to matter: more of them.
      { clients: 4, keys: ["x", "y", "z"], rate: this.profile.soleVoter ? 0.25 : 0.05, readRatio: 0.5, timeout: 400, useLeaseReads: this.profile.leaseReads },
      this.rng.fork(),
    );
  }

  private trace(line: () => string): void {
    if (this.options.trace !== undefined) this.options.trace(`[${this.now}] ${line()}`);
  }

  private send(from: SimNode, m: Message): void {
    let snapshotData: Uint8Array | undefined;
    if (m.kind === "installSnapshot") {
      if (from.storage.snapshot().index !== m.snapshot.index) {
        from.raw?.reportSnapshot(m.to, false);
        return;
      }
      snapshotData = from.storage.snapshotData();
    }
    const outcome = this.network.send({ message: m, snapshotData }, this.now);
    if (outcome === "dropped" && m.kind === "installSnapshot") from.raw?.reportSnapshot(m.to, false);
  }

  private deliver(): void {
    for (const packet of this.network.deliverable(this.now)) {
      const m = packet.message;
      const to = this.byId.get(m.to);
      const from = this.byId.get(m.from);
      if (to?.raw === undefined || this.isPaused(to)) {
        if (m.kind === "installSnapshot") from?.raw?.reportSnapshot(m.to, false);
        continue;
      }
      if (m.kind === "installSnapshot" && packet.snapshotData !== undefined) {
        to.receivedSnapshots.set(m.snapshot.index, packet.snapshotData);
        from?.raw?.reportSnapshot(m.to, true);
      }
      to.raw.step(m);
    }
  }

  private tickNodes(): void {
    for (const node of this.nodes) {
      const period = this.tickPeriod.get(node.id) ?? tickUnits;
      if (node.raw !== undefined && !this.isPaused(node) && (this.now + (this.phase.get(node.id) ?? 0)) % period === 0) node.raw.tick();
    }
  }

  private processReadies(): void {
    for (const node of this.nodes) {
      if (this.isPaused(node)) continue;
      for (let round = 0; round < 3; round++) {
        if (node.pending !== undefined) {
          if (!this.rng.chance(this.profile.persistChance)) break;
          node.completeReady();
        }
        if (!node.takeReady()) break;
        if (this.crashBeforeFirstPersist(node)) break;
      }
    }
  }

  /**
   * A crash point: a node that just won its election (a sole voter wins
   * without sending a vote request) dies after its Ready's early messages
   * left and before the Ready is durable.
   */
  private crashBeforeFirstPersist(node: SimNode): boolean {
    const ready = node.pending;
    const won = ready?.events.some((e) => e.kind === "roleChanged" && e.role === "leader") === true;
    const withWrites = ready?.entries.some((e) => e.kind === "normal") === true;
    if (!this.faultsOn || !this.profile.soleVoter || !won || !withWrites || !this.rng.chance(0.5)) return false;
    node.crash();
    this.trace(() => `crash point: ${node.id} just won and sent its first messages, before persisting`);
    return true;
  }

  private isPaused(node: SimNode): boolean {
    return (this.pausedUntil.get(node.id) ?? 0) > this.now;
  }

  private currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.nodes) {
      const view = node.raw?.view();
      if (view?.role !== "leader") continue;
      if (best === undefined || view.term > (best.raw?.view().term ?? 0)) best = node;
    }
    return best;
  }

  private injectFaults(): void {
    const rng = this.rng;
    const p = this.profile;
    if (p.partitions) {
      if (!this.network.isPartitioned() && rng.chance(0.002 * p.churn)) {
        const ids = this.nodes.map((n) => n.id);
        const groups: string[][] = [[], []];
        const leader = this.currentLeader();
        const mode = rng.int(3);
        if (mode === 0 && leader !== undefined) {
          // The leader and a minority: it keeps appending entries that a later leader must overwrite.
          const minority = new Set([leader.id]);
          const extra = rng.int(Math.floor((ids.length - 1) / 2));
          while (minority.size < extra + 1) minority.add(rng.pick(ids));
          for (const id of ids) (groups[minority.has(id) ? 0 : 1] as string[]).push(id);
        } else if (mode === 1) {
          const isolated = rng.pick(ids);
          for (const id of ids) (groups[id === isolated ? 0 : 1] as string[]).push(id);
        } else {
          for (const id of ids) (groups[rng.int(2)] as string[]).push(id);
        }
        this.network.partition(groups);
        this.trace(() => `partition ${JSON.stringify(groups)}`);
      } else if (this.network.isPartitioned() && rng.chance(0.004 * p.churn)) {
        this.network.heal();
        this.trace(() => "heal");
      }
    }
    if (p.crashes) {
      const live = this.nodes.filter((n) => n.alive);
      if (live.length > 1 && rng.chance(0.0015 * p.churn)) {
        const victim = rng.pick(live);
        victim.crash();
        this.trace(() => `crash ${victim.id}`);
      }
      for (const node of this.nodes) {
        if (!node.alive && rng.chance(0.004 * p.churn)) {
          node.start();
          this.trace(() => `restart ${node.id}`);
        }
      }
    }
    if (p.pauses && rng.chance(0.002)) {
      // Leaders are the interesting ones to freeze: they wake up believing they still lead.
      const leader = this.currentLeader();
      const victim = leader !== undefined && rng.chance(0.6) ? leader : rng.pick(this.nodes);
      const until = this.now + rng.between(50, 400);
      this.pausedUntil.set(victim.id, until);
      this.pausedFrom.set(victim.id, this.now);
      this.trace(() => `pause ${victim.id} until ${until}`);
    }
    if (p.leaderKiller) {
      const leader = this.currentLeader();
      const log = leader?.raw?.log();
      if (leader !== undefined && log !== undefined && log.lastIndex() > log.committed && rng.chance(0.01)) {
        leader.crash();
        this.trace(() => `crash leader ${leader.id} with uncommitted entries`);
      }
    }
    if (p.membership && rng.chance(0.003)) this.changeMembership();
    if (p.transfers && rng.chance(0.002)) {
      const leader = this.currentLeader();
      const raw = leader?.raw;
      if (raw !== undefined) {
        const voters = voterIds(raw.membership()).filter((id) => id !== leader?.id);
        const target = rng.chance(0.3) || voters.length === 0 ? undefined : rng.pick(voters);
        const result = raw.transferLeadership(target);
        this.trace(() => `transfer from ${leader?.id} to ${String(target)}: ${result.ok ? "started" : result.refusal.message}`);
      }
    }
  }

  private changeMembership(): void {
    const leader = this.currentLeader();
    const raw = leader?.raw;
    if (raw === undefined) return;
    const config = raw.membership();
    const voters = voterIds(config);
    const rng = this.rng;
    const candidates: MembershipChange[] = [];
    for (const node of this.nodes) {
      const member = findMember(config, node.id);
      const addresses = { raftAddress: `raft-${node.id}`, clientAddress: `client-${node.id}` };
      if (member === undefined) {
        candidates.push({ kind: "addVoter", id: node.id, ...addresses }, { kind: "addNonvoter", id: node.id, ...addresses });
      } else if (member.suffrage === "nonvoter") {
        candidates.push({ kind: "addVoter", id: node.id, ...addresses }, { kind: "removeServer", id: node.id });
      } else if (voters.length > 2) {
        candidates.push({ kind: "demoteVoter", id: node.id }, { kind: "removeServer", id: node.id });
      }
    }
    if (candidates.length === 0) return;
    const change = rng.pick(candidates);
    const prevIndex = rng.chance(0.2) ? Math.max(0, config.index - 1) : rng.chance(0.5) ? config.index : 0;
    const result = raw.changeMembership(change, prevIndex);
    this.trace(
      () => `membership ${JSON.stringify(change)} prev=${prevIndex} at ${leader?.id}: ${result.ok ? `index ${result.index}` : result.refusal.message}`,
    );
  }

  /**
   * With lease reads on, a node waking from a pause first gets the ticks it
   * missed, as an engine driven by a monotonic clock must deliver them (the
   * lease's clock assumption). Otherwise it just resumes, as a timer-driven
   * engine would: a stale leader that wakes up believing it still leads.
   */
  private catchUpTicks(): void {
    for (const node of this.nodes) {
      const until = this.pausedUntil.get(node.id);
      if (until !== this.now) continue;
      if (!this.profile.leaseReads) {
        this.pausedUntil.delete(node.id);
        this.workload.resumed(node, this.nodes, (n) => !this.isPaused(n));
        continue;
      }
      const from = this.pausedFrom.get(node.id) ?? until;
      const missed = Math.floor((until - from) / (this.tickPeriod.get(node.id) ?? tickUnits));
      for (let i = 0; i < missed; i++) node.raw?.tick();
      this.pausedUntil.delete(node.id);
      this.workload.resumed(node, this.nodes, (n) => !this.isPaused(n));
    }
  }

  private step(): void {
    this.invariants.now = this.now;
    for (const [id, at] of this.crashAt) {
      if (at > this.now) continue;
      this.crashAt.delete(id);
      if (this.faultsOn) this.byId.get(id)?.crash();
    }
    if (this.healAt <= this.now) {
      this.healAt = Number.POSITIVE_INFINITY;
      this.network.heal();
      this.trace(() => "heal (scheduled)");
    }
    this.catchUpTicks();
    this.deliver();
    this.tickNodes();
    if (this.faultsOn) this.injectFaults();
    this.workload.issue(this.now, this.nodes, (n) => !this.isPaused(n));
    this.processReadies();
    this.invariants.check(this.nodes);
    this.workload.poll(this.now);
    for (const node of this.nodes) {
      const raw = node.raw;
      const view = raw?.view();
      if (raw === undefined || view?.role !== "leader") continue;
      const term = view.term;
      const elected = !this.leaderTerms.has(term);
      if (elected) {
        this.leaderTerms.add(term);
        this.trace(() => `${node.id} leads term ${term}`);
      }
      const commitIndex = raw.log().committed;
      const committed = commitIndex > (this.leaderCommit.get(node.id) ?? 0);
      this.leaderCommit.set(node.id, commitIndex);
      if (this.faultsOn && this.profile.crashPoints && elected && this.rng.chance(0.2)) {
        // Cut a fresh leader off (replacing any partition, which reconnects the previous
        // victim): its no-op and first entries stay on it alone, as in Figure 8.
        this.network.partition([[node.id], this.nodes.filter((n) => n !== node).map((n) => n.id)]);
        this.healAt = this.now + this.rng.between(30, 300);
        this.trace(() => `partition point: isolate new leader ${node.id} until ${this.healAt}`);
      } else if (this.faultsOn && this.profile.crashPoints && (elected || committed) && !this.crashAt.has(node.id) && this.rng.chance(0.15)) {
        // Soon, not at once: what it persisted survives, what it has not replicated yet may not.
        const at = this.now + this.rng.between(1, 12);
        this.crashAt.set(node.id, at);
        this.trace(() => `crash point: ${node.id} at ${at}, after ${elected ? `winning term ${term}` : `commit ${commitIndex}`}`);
      }
    }
    this.now++;
  }

  run(): SimResult {
    let failure: string | undefined;
    try {
      while (this.now < this.options.duration) this.step();
      this.faultsOn = false;
      this.network.heal();
      for (const [id, until] of this.pausedUntil) if (until > this.now) this.pausedUntil.set(id, this.now);
      for (const node of this.nodes) if (!node.alive) node.start();
      const end = this.now + quietPeriod;
      while (this.now < end) this.step();
      this.workload.finish();
      const check = checkLinearizable(registerModel, this.workload.history, { timeoutMs: 20_000 });
      switch (check.kind) {
        case "ok":
          break;
        case "illegal":
          failure = `history not linearizable (key partition ${check.partition}): ${check.explanation}`;
          break;
        case "unknown":
          failure = "linearizability check timed out (not a pass)";
          break;
        default: {
          const unreachable: never = check;
          throw new Error(`unknown check result ${JSON.stringify(unreachable)}`);
        }
      }
    } catch (error) {
      if (error instanceof SimFailure) failure = error.message;
      else failure = `t=${this.now}: crash in core or simulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    }
    return {
      seed: this.options.seed,
      nodeCount: this.options.nodeCount,
      ok: failure === undefined,
      failure,
      writes: this.workload.completedWrites,
      reads: this.workload.completedReads,
      leaderTerms: this.leaderTerms.size,
      profile: describeProfile(this.profile),
    };
  }
}

export function runSeed(seed: number, nodeCount: number, duration: number, trace?: (line: string) => void): SimResult {
  return new Simulation({ seed, nodeCount, duration, trace }).run();
}

export function replayCommand(r: SimResult, duration: number): string {
  return `bun test/sim/run.ts --seed ${r.seed} --nodes ${r.nodeCount} --duration ${duration} --trace`;
}
