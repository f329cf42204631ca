import { errorMessage } from "../log/error-message.ts";
import type { Member, Membership } from "../raft/membership.ts";
import type { MembershipChange } from "../raft/membership-change.ts";
import type { AcceptResult, ProposalResult, Refusal } from "../raft/proposal-result.ts";
import type { RawNode } from "../raft/raw-node.ts";
import type { AddVoterChange, ClusterConfiguration, ClusterStatus, ConfigurationChange } from "./admin-types.ts";
import type { Applied } from "./applied.ts";
import type { EngineStatus } from "./engine.ts";
import { EngineError } from "./engine-error.ts";
import type { RaftNotLeaderError } from "./not-leader-error.ts";
import type { Scheduler } from "./scheduler.ts";
import { RaftWaiter } from "./waiter.ts";

/** What the admin operations need from the engine that owns the core. */
export interface RaftAdminHost {
  readonly id: string;
  readonly scheduler: Scheduler;
  readonly clusterId: string;
  readonly raw: RawNode;
  readonly tickMs: number;
  /** Default bound of every operation (the engine's request timeout). */
  readonly timeoutMs: number;
  /** An error when the engine is stopped or failed, or the signal already fired. */
  refusal(signal: AbortSignal | undefined): EngineError | undefined;
  /** A refusal naming the known leader; proposed false, so the caller may forward it. */
  notLeader(detail?: string): RaftNotLeaderError;
  /** Settles the waiter once the entry at (index, term) applied, like a proposal (rejected if leadership is lost). */
  track(index: number, term: number, waiter: RaftWaiter<Applied<unknown>>): void;
  scheduleDrain(): void;
  status(): EngineStatus;
  leaderClientAddress(): string;
  /** A linearizable read barrier: resolves once a quorum confirmed the leader's commit index. */
  readIndex(signal: AbortSignal | undefined): Promise<number>;
  /** Undefined when snapshots are off. */
  snapshotNow: (() => Promise<number>) | undefined;
}

/** How long a change waits for an earlier change (or a transfer, or a new leader's first commit) before giving up. */
const PENDING_WAIT_MS = 3000;

type Attempt<T> = { readonly done: true; readonly value: T } | { readonly done: false; readonly refusal: Refusal };

function describeChange(change: MembershipChange): string {
  switch (change.kind) {
    case "addVoter":
      return `add voter ${change.id} (raft ${change.raftAddress}, client ${change.clientAddress || "unset"})`;
    case "addNonvoter":
      return `add nonvoter ${change.id} (raft ${change.raftAddress}, client ${change.clientAddress || "unset"})`;
    case "demoteVoter":
      return `demote voter ${change.id}`;
    case "removeServer":
      return `remove server ${change.id}`;
    case "updateMember":
      return `record the addresses of ${change.id} (raft ${change.raftAddress}, client ${change.clientAddress || "unset"})`;
    default: {
      const unreachable: never = change;
      throw new Error(`unknown membership change ${JSON.stringify(unreachable)}`);
    }
  }
}

function suffrageWord(member: Member): string {
  return member.suffrage === "voter" ? "Voter" : "Nonvoter";
}

/** hashicorp's rendering of a configuration in Stats(). */
function formatConfiguration(membership: Membership): string {
  return `[${membership.members.map((m) => `{Suffrage:${suffrageWord(m)} ID:${m.id} Address:${m.raftAddress}}`).join(" ")}]`;
}

/** hashicorp's state names in Stats(). */
function hashicorpState(state: EngineStatus["role"]): string {
  switch (state) {
    case "leader":
      return "Leader";
    case "follower":
    case "learner":
      return "Follower";
    case "candidate":
    case "precandidate":
      return "Candidate";
    case "shutdown":
      return "Shutdown";
    default: {
      const unreachable: never = state;
      throw new Error(`unknown role ${String(unreachable)}`);
    }
  }
}

/**
 * The operator's API (hashicorp/raft's shape): membership changes with a
 * previous-index guard, leadership transfer, barrier, verify-leader,
 * snapshot-now, status and configuration. Every operation settles when done
 * (a change once its configuration entry is committed and applied here), or
 * fails with a typed EngineError: not_leader (never proposed, so it may be
 * forwarded), guardMismatch, changePending, invalid or timeout.
 */
export class RaftAdmin {
  constructor(private readonly host: RaftAdminHost) {}

  /**
   * `incarnation`: the data dir of the node asking to join ("" for an
   * operator's add). A node listed under `id` with another incarnation is
   * replaced: it re-enters as a nonvoter and is promoted once caught up.
   */
  addVoter(id: string, raftAddress: string, clientAddress: string, prevIndex = 0, signal?: AbortSignal, incarnation = ""): Promise<AddVoterChange> {
    return this.change({ kind: "addVoter", id, raftAddress, clientAddress, incarnation }, prevIndex, signal).then((done) => {
      const member = done.members.find((m) => m.id === id);
      return { ...done, promotionPending: member?.suffrage === "nonvoter" };
    });
  }

  addNonvoter(id: string, raftAddress: string, clientAddress: string, prevIndex = 0, signal?: AbortSignal, incarnation = ""): Promise<ConfigurationChange> {
    return this.change({ kind: "addNonvoter", id, raftAddress, clientAddress, incarnation }, prevIndex, signal);
  }

  /** Demoting the leader itself hands leadership over first, as removeServer does. */
  async demoteVoter(id: string, prevIndex = 0, signal?: AbortSignal): Promise<ConfigurationChange> {
    await this.handOverIfSelf("demote voter", id, prevIndex, signal);
    return this.change({ kind: "demoteVoter", id }, prevIndex, signal);
  }

  /**
   * Removing the leader itself first hands leadership to another voter and
   * then refuses as a follower would (RaftNotLeaderError, not proposed), so the caller sends the removal to
   * the new leader: the cluster never waits out an election timeout for it.
   */
  async removeServer(id: string, prevIndex = 0, signal?: AbortSignal): Promise<ConfigurationChange> {
    await this.handOverIfSelf("remove server", id, prevIndex, signal);
    return this.change({ kind: "removeServer", id }, prevIndex, signal);
  }

  /** Resolves with the new leader's id once another voter leads. */
  async transferLeadership(target?: string, signal?: AbortSignal): Promise<string> {
    const raw = this.host.raw;
    const deadline = this.host.scheduler.now() + this.host.timeoutMs;
    const what = `transfer leadership to ${target || "the most up-to-date voter"}`;
    let attempts = 0;
    // The core gives up on a target that does not catch up and win within an election timeout; within
    // our own bound we try again (a loaded target often makes it the second time).
    for (;;) {
      await this.retrying(
        deadline,
        signal,
        (): Attempt<true> => {
          const result: AcceptResult = raw.transferLeadership(target === "" ? undefined : target);
          return result.ok ? { done: true, value: true } : { done: false, refusal: result.refusal };
        },
        what,
      );
      attempts++;
      this.host.scheduleDrain();
      const chosen = raw.stats().leadTransferee || (target ?? "");
      for (;;) {
        const leader = raw.leader();
        if (leader !== "" && leader !== this.host.id) return leader;
        if (raw.role() === "leader" && raw.stats().leadTransferee === "") break;
        this.checkStillWaiting(deadline, signal, `leadership transfer to ${chosen || "another voter"}`);
        await this.host.scheduler.sleep(Math.max(5, this.host.tickMs / 2));
      }
      if (this.host.scheduler.now() > deadline) {
        throw new EngineError(
          "timeout",
          `node ${this.host.id}: leadership transfer to ${chosen || "another voter"} did not complete in ${attempts} attempts within ` +
            `${this.host.timeoutMs} ms (the target did not catch up or win in time); ${this.host.id} still leads`,
        );
      }
    }
  }

  /** hashicorp's Barrier: resolves with an index once every entry up to it is applied on the leader. */
  async barrier(signal?: AbortSignal): Promise<number> {
    const deadline = this.host.scheduler.now() + this.host.timeoutMs;
    const raw = this.host.raw;
    return this.awaitProposal(deadline, signal, () => raw.barrier(), "barrier");
  }

  /** Resolves only if this node leads and a quorum still follows it (one ReadIndex round). */
  async verifyLeader(signal?: AbortSignal): Promise<void> {
    const raw = this.host.raw;
    const stopped = this.host.refusal(signal);
    if (stopped !== undefined) throw stopped;
    if (raw.role() !== "leader") throw this.host.notLeader();
    const term = raw.status().term;
    await this.host.readIndex(signal);
    if (raw.role() !== "leader" || raw.status().term !== term) {
      throw this.host.notLeader(`leadership was lost while verifying it (term ${term})`);
    }
  }

  /** Takes a snapshot on this node now; resolves with the index it covers. */
  async snapshotNow(): Promise<number> {
    const stopped = this.host.refusal(undefined);
    if (stopped !== undefined) throw stopped;
    if (this.host.snapshotNow === undefined) throw new EngineError("invalid", `node ${this.host.id} has snapshots turned off`);
    try {
      return await this.host.snapshotNow();
    } catch (error) {
      throw new EngineError("storage", `node ${this.host.id}: snapshot failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  configuration(): ClusterConfiguration {
    const membership = this.host.raw.membership();
    const leader = this.host.raw.leader();
    return { index: membership.index, members: membership.members.map((m) => ({ ...m, leader: m.id === leader })) };
  }

  status(): ClusterStatus {
    const stats = this.host.raw.stats();
    const engine = this.host.status();
    const configuration = this.configuration();
    const lastContactMs = engine.role === "leader" ? 0 : stats.leader === "" ? -1 : stats.ticksSinceLeaderContact * this.host.tickMs;
    const otherVoters = configuration.members.filter((m) => m.suffrage === "voter" && m.id !== this.host.id).length;
    return {
      id: this.host.id,
      clusterId: this.host.clusterId,
      state: engine.role,
      leaderId: engine.leaderId,
      leaderClientAddress: this.host.leaderClientAddress(),
      term: stats.term,
      commitIndex: stats.commitIndex,
      appliedIndex: engine.appliedIndex,
      lastLogIndex: stats.lastLogIndex,
      lastLogTerm: stats.lastLogTerm,
      lastSnapshotIndex: stats.lastSnapshotIndex,
      lastContactMs,
      configuration,
      stats: {
        state: hashicorpState(engine.role),
        term: String(stats.term),
        last_log_index: String(stats.lastLogIndex),
        last_log_term: String(stats.lastLogTerm),
        commit_index: String(stats.commitIndex),
        applied_index: String(engine.appliedIndex),
        fsm_pending: String(Math.max(0, stats.commitIndex - engine.appliedIndex)),
        last_snapshot_index: String(stats.lastSnapshotIndex),
        last_snapshot_term: String(stats.lastSnapshotTerm),
        last_contact: lastContactMs < 0 ? "never" : `${lastContactMs}ms`,
        num_peers: String(otherVoters),
        latest_configuration_index: String(configuration.index),
        latest_configuration: formatConfiguration(this.host.raw.membership()),
        leader_id: engine.leaderId,
        cluster_id: this.host.clusterId,
        pending_promotions: stats.pendingPromotions.join(","),
      },
    };
  }

  // ------------------------------------------------------------- internals

  private async change(change: MembershipChange, prevIndex: number, signal: AbortSignal | undefined): Promise<ConfigurationChange> {
    const what = describeChange(change);
    const deadline = this.host.scheduler.now() + this.host.timeoutMs;
    const raw = this.host.raw;
    const index = await this.awaitProposal(deadline, signal, () => raw.changeMembership(change, prevIndex), what);
    return { index, members: raw.membership().members.slice() };
  }

  /** Submits (retrying transient refusals), then waits until the entry applied here; resolves with its index. */
  private async awaitProposal(deadline: number, signal: AbortSignal | undefined, submit: () => ProposalResult, what: string): Promise<number> {
    const position = await this.retrying(
      deadline,
      signal,
      (): Attempt<{ index: number; term: number }> => {
        const result = submit();
        return result.ok ? { done: true, value: { index: result.index, term: result.term } } : { done: false, refusal: result.refusal };
      },
      what,
    );
    const status = this.host.status();
    if (position.index <= status.appliedIndex) return position.index;
    const waiter = new RaftWaiter<Applied<unknown>>(this.host.scheduler, Math.max(1, deadline - this.host.scheduler.now()), signal, what);
    this.host.track(position.index, position.term, waiter);
    this.host.scheduleDrain();
    return (await waiter.promise).index;
  }

  /** Runs attempt until it succeeds; transient refusals are retried for a bounded time, others fail at once. */
  private async retrying<T>(deadline: number, signal: AbortSignal | undefined, attempt: () => Attempt<T>, what = "the operation"): Promise<T> {
    const pendingUntil = Math.min(deadline, this.host.scheduler.now() + PENDING_WAIT_MS);
    for (;;) {
      const stopped = this.host.refusal(signal);
      if (stopped !== undefined) throw stopped;
      const outcome = attempt();
      if (outcome.done) return outcome.value;
      const refusal = outcome.refusal;
      switch (refusal.kind) {
        case "notLeader":
        case "noLeader":
          throw this.host.notLeader();
        case "configIndexMismatch":
          throw new EngineError("guardMismatch", `cannot ${what}: ${refusal.message} (the --prev-index guard)`);
        case "invalidChange":
        case "unknownServer":
          throw new EngineError("invalid", `cannot ${what}: ${refusal.message}`);
        case "quorumAtRisk":
          throw new EngineError("unsafe", `cannot ${what} now: ${refusal.message}`);
        case "configChangePending":
        case "transferInProgress":
          if (this.host.scheduler.now() > pendingUntil) throw new EngineError("changePending", `cannot ${what} now: ${refusal.message}; retry shortly`);
          break;
        case "leaderNotReady":
          if (this.host.scheduler.now() > pendingUntil) throw new EngineError("timeout", `cannot ${what} yet: ${refusal.message}`);
          break;
        default: {
          const unreachable: never = refusal.kind;
          throw new Error(`unknown refusal ${String(unreachable)}`);
        }
      }
      this.host.scheduleDrain();
      await this.host.scheduler.sleep(Math.max(5, this.host.tickMs / 2));
    }
  }

  /** When this leader is asked to stop being a voter: transfers leadership, then refuses so the caller goes to the successor. */
  private async handOverIfSelf(what: string, id: string, prevIndex: number, signal: AbortSignal | undefined): Promise<void> {
    const raw = this.host.raw;
    const otherVoters = raw.membership().members.filter((m) => m.suffrage === "voter" && m.id !== this.host.id);
    if (id !== this.host.id || raw.role() !== "leader" || otherVoters.length === 0) return;
    this.checkGuard(`${what} ${id}`, prevIndex);
    const successor = await this.transferLeadership(undefined, signal);
    throw this.host.notLeader(`leadership was handed to ${successor} before the ${what} of ${id}`);
  }

  private checkGuard(what: string, prevIndex: number): void {
    const index = this.host.raw.membership().index;
    if (prevIndex !== 0 && prevIndex !== index) {
      throw new EngineError("guardMismatch", `cannot ${what}: configuration is at index ${index}, not ${prevIndex} (the --prev-index guard)`);
    }
  }

  private checkStillWaiting(deadline: number, signal: AbortSignal | undefined, what: string): void {
    const stopped = this.host.refusal(signal);
    if (stopped !== undefined) throw stopped;
    if (this.host.scheduler.now() > deadline)
      throw new EngineError("timeout", `node ${this.host.id}: ${what} did not complete within ${this.host.timeoutMs} ms`);
  }
}
