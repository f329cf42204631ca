import { type RaftConfig, type ResolvedConfig, resolveConfig } from "./config.ts";
import type { Entry, EntryKind } from "./entry.ts";
import type { HardState } from "./hard-state.ts";
import type { Member, Membership } from "./membership.ts";
import { type MembershipChange, planChange, promoted } from "./membership-change.ts";
import { encodeMembers, findMember, incarnationOf, voterIds } from "./membership-codec.ts";
import { MembershipLog } from "./membership-log.ts";
import type { AppendEntries, AppendResponse, Heartbeat, HeartbeatResponse, InstallSnapshot, Message, RequestVote, VoteResponse } from "./message.ts";
import { Progress } from "./progress.ts";
import type { AcceptResult, ProposalResult, Refusal, RefusalKind } from "./proposal-result.ts";
import { committedIndex, voteResult } from "./quorum.ts";
import type { RaftEvent } from "./raft-event.ts";
import { RaftLog } from "./raft-log.ts";
import type { RaftLogView } from "./raft-log-view.ts";
import type { RaftOutput } from "./raft-output.ts";
import type { PeerView, RaftView } from "./raft-view.ts";
import { type PendingRead, ReadRounds } from "./read-rounds.ts";
import type { ReadState } from "./read-state.ts";
import type { Role } from "./role.ts";
import type { SnapshotMeta } from "./snapshot-meta.ts";
import { maxTerm } from "./term-limit.ts";

type State = "follower" | "precandidate" | "candidate" | "leader";

/** Payload of a proposal before the leader assigns it an index and term. */
interface NewEntry {
  readonly kind: EntryKind;
  readonly data: Uint8Array;
}

const noData = new Uint8Array(0);

/**
 * The Raft state machine of one node (etcd-io/raft's raft.go). Stepped by
 * messages and ticks; its outputs (messages, read states, events, log
 * changes) are collected by RawNode into a Ready.
 */
export class Raft {
  readonly id: string;
  private readonly cfg: ResolvedConfig;
  private readonly raftLog: RaftLog;
  private readonly membershipLog: MembershipLog;

  private term = 0;
  private vote = "";
  private lead = "";
  private state: State = "follower";

  private readonly progress = new Map<string, Progress>();
  private readonly votes = new Map<string, boolean>();

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Local tick counter: the clock for leases and last-contact stats. */
  private nowTick = 0;

  private leadTransferee = "";
  private transferElapsed = 0;
  /** Set once TimeoutNow went out: another node may win this term's successor election despite our lease. */
  private leaseDisabled = false;

  private readonly reads = new ReadRounds();
  private readsAwaitingCommit: { requestId: string; from: string }[] = [];
  private readonly pendingPromotions = new Set<string>();
  private readonly unreachablePeers = new Set<string>();

  /** Outputs collected for the next Ready (see takeOutput). */
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private events: RaftEvent[] = [];
  private compactLogTo = 0;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    const storage = config.storage;
    this.raftLog = new RaftLog(storage, config.applied ?? 0);
    this.membershipLog = new MembershipLog(storage.snapshot().membership);
    this.loadMembershipFromLog();
    const hs = storage.initialState();
    this.becomeFollower(hs.term, "");
    this.vote = hs.vote;
  }

  /** Configuration entries above the snapshot take effect from the log, as if just appended. */
  private loadMembershipFromLog(): void {
    const storage = this.raftLog.storage;
    let lo = Math.max(storage.firstIndex(), storage.snapshot().index + 1);
    const last = storage.lastIndex();
    while (lo <= last) {
      const chunk = storage.entries(lo, Math.min(last + 1, lo + 1024), Number.POSITIVE_INFINITY);
      if (chunk === undefined || chunk.length === 0) {
        throw new Error(`raft ${this.id}: cannot read log at ${lo} while loading membership`);
      }
      for (const e of chunk) if (e.kind === "config") this.membershipLog.onAppend([e]);
      lo += chunk.length;
    }
  }

  // ---------------------------------------------------------------- queries

  /** The log as the engine and tests may read it; only the core changes it. */
  log(): RaftLogView {
    return this.raftLog;
  }

  /** A consistent read-only view of this node's state (what stats, status and the simulators' invariants read). */
  view(): RaftView {
    const peers: PeerView[] = [];
    if (this.state === "leader") {
      for (const [id, pr] of this.progress) {
        peers.push({
          id,
          match: pr.match,
          next: pr.next,
          state: pr.state,
          ackedRound: pr.ackedRound,
          lastContactTick: pr.lastContactTick,
          inflight: pr.inflight,
        });
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      leader: this.lead,
      role: this.role(),
      nowTick: this.nowTick,
      electionElapsed: this.electionElapsed,
      leadTransferee: this.leadTransferee,
      pendingPromotions: [...this.pendingPromotions],
      peers,
    };
  }

  /** Whether anything waits to be handed to the engine (messages, read states, events, a compaction). */
  hasOutput(): boolean {
    return this.msgs.length > 0 || this.readStates.length > 0 || this.events.length > 0 || this.compactLogTo > 0;
  }

  /** Hands over what was collected for the next Ready and starts collecting anew. */
  takeOutput(): RaftOutput {
    const output: RaftOutput = { messages: this.msgs, readStates: this.readStates, events: this.events, compactLogTo: this.compactLogTo };
    this.msgs = [];
    this.readStates = [];
    this.events = [];
    this.compactLogTo = 0;
    return output;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  membership(): Membership {
    return this.membershipLog.latest();
  }

  membershipAt(index: number): Membership {
    return this.membershipLog.at(index);
  }

  voters(): string[] {
    return voterIds(this.membershipLog.latest());
  }

  /** May this node campaign? Only voters of the latest configuration, and only as the incarnation it records. */
  promotable(): boolean {
    return findMember(this.membershipLog.latest(), this.id)?.suffrage === "voter" && this.isRecordedSelf();
  }

  /**
   * Whether this node may act (vote, campaign) as the member its id names.
   * Never with an empty log: a node that lost its log would otherwise count
   * as a voter that holds every entry it once acknowledged. Never when the
   * configuration records this id with another data dir's incarnation. A
   * configuration that does not list this node does not stop it voting: one
   * promoted without having heard of it yet must still vote (etcd lets
   * learners vote for the same reason); its peers check its incarnation.
   */
  isRecordedSelf(): boolean {
    if (this.raftLog.lastIndex() === 0) return false;
    const self = findMember(this.membershipLog.latest(), this.id);
    if (self === undefined) return true;
    const recorded = incarnationOf(self);
    if (recorded === "") return this.cfg.acceptUnrecordedIncarnation;
    return recorded === this.cfg.incarnation;
  }

  role(): Role {
    if (this.state === "follower" && !this.promotable()) return "learner";
    return this.state;
  }

  leader(): string {
    return this.lead;
  }

  /** The latest heartbeat round this leader sent (0 when not leading): no peer can acknowledge a later one. */
  heartbeatRound(): number {
    return this.state === "leader" ? this.reads.lastRound : 0;
  }

  private committedInCurrentTerm(): boolean {
    return this.raftLog.term(this.raftLog.committed) === this.term;
  }

  private refuse(kind: RefusalKind, message: string): { ok: false; refusal: Refusal } {
    return { ok: false, refusal: { kind, message: `raft ${this.id}: ${message}`, leader: this.lead } };
  }

  /** The one guard of every leader-only operation: not the leader, or a leadership transfer under way. */
  private notReadyToLead(): { ok: false; refusal: Refusal } | undefined {
    if (this.state !== "leader") return this.refuse("notLeader", "not the leader");
    if (this.leadTransferee !== "") return this.refuse("transferInProgress", `leadership transfer to ${this.leadTransferee} in progress`);
    return undefined;
  }

  // ------------------------------------------------------------ transitions

  private resetRandomizedElectionTimeout(): void {
    const t = this.cfg.electionTicks;
    this.randomizedElectionTimeout = t + Math.floor(this.cfg.random() * t);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = "";
    }
    this.lead = "";
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = "";
    this.transferElapsed = 0;
    this.leaseDisabled = false;
    this.votes.clear();
    this.progress.clear();
    this.reads.reset();
    this.readsAwaitingCommit = [];
    this.pendingPromotions.clear();
    this.unreachablePeers.clear();
  }

  private becomeFollower(term: number, lead: string): void {
    this.reset(term);
    this.lead = lead;
    this.state = "follower";
  }

  private becomePreCandidate(): void {
    // Term and vote stay: a pre-vote changes nothing durable.
    this.votes.clear();
    this.lead = "";
    this.state = "precandidate";
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = "candidate";
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.state = "leader";
    this.rebuildProgress();
    // The no-op commits everything before it (Figure 8) and unblocks reads.
    this.appendEntries([{ kind: "noop", data: noData }]);
  }

  private rebuildProgress(): void {
    const latest = this.membershipLog.latest();
    const next = this.raftLog.lastIndex() + 1;
    for (const m of latest.members) {
      if (m.id === this.id) continue;
      const known = this.progress.get(m.id);
      // Another incarnation under the same id holds none of what the earlier one acknowledged.
      if (known !== undefined && known.incarnation === incarnationOf(m)) continue;
      this.progress.set(m.id, new Progress(next, this.cfg.maxInflightMessages, this.nowTick, incarnationOf(m)));
    }
    for (const id of [...this.progress.keys()]) {
      if (findMember(latest, id) === undefined) this.progress.delete(id);
    }
    for (const id of [...this.pendingPromotions]) {
      if (findMember(latest, id) === undefined) this.pendingPromotions.delete(id);
    }
    if (this.leadTransferee !== "" && findMember(latest, this.leadTransferee)?.suffrage !== "voter") {
      this.finishTransfer(false);
    }
  }

  // ------------------------------------------------------------------ ticks

  tick(): void {
    this.nowTick++;
    if (this.state === "leader") this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.electionElapsed++;
    this.heartbeatElapsed++;
    if (this.leadTransferee !== "") {
      this.transferElapsed++;
      if (this.transferElapsed >= this.cfg.transferTimeoutTicks) this.finishTransfer(false);
    }
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, "");
        return;
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
    this.maybePromote();
  }

  /** Check-quorum sweep: did a quorum of voters talk to us since the last sweep? */
  private quorumActive(): boolean {
    const heard = new Set<string>([this.id]);
    for (const [id, pr] of this.progress) {
      if (pr.sweepActive()) heard.add(id);
      else if (!this.unreachablePeers.has(id)) {
        this.unreachablePeers.add(id);
        this.events.push({ kind: "peerUnreachable", peer: id });
      }
    }
    const voters = this.voters();
    return voters.filter((id) => heard.has(id)).length >= Math.floor(voters.length / 2) + 1;
  }

  // -------------------------------------------------------------- elections

  /** Starts an election now (the engine's Campaign; also used by TimeoutNow). */
  hup(transfer: boolean): void {
    if (this.state === "leader" || !this.promotable()) return;
    // No term above maxTerm exists: a node there keeps following (the engine's guard never lets a peer push it there).
    if (this.term >= maxTerm) return;
    if (this.cfg.preVote && !transfer) this.campaign("preVote", false);
    else this.campaign("election", transfer);
  }

  private campaign(kind: "preVote" | "election", transfer: boolean): void {
    const preVote = kind === "preVote";
    let voteTerm: number;
    if (preVote) {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    if (this.poll(this.id, true) === "won") {
      // A single voter wins at once.
      if (preVote) this.campaign("election", transfer);
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.voters()) {
      if (id === this.id) continue;
      const m: RequestVote = { kind: "requestVote", from: this.id, to: id, term: voteTerm, preVote, transfer, lastIndex, lastTerm };
      this.msgs.push(m);
    }
  }

  private poll(id: string, granted: boolean): "won" | "lost" | "pending" {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.voters(), this.votes);
  }

  // ------------------------------------------------------------------- step

  step(m: Message): void {
    if (m.to !== this.id) return;
    // Never adopted, so never persisted: a term past the bound could not be campaigned past (term + 1).
    if (m.term > maxTerm) return;
    if (m.term > this.term) {
      if (m.kind === "requestVote") {
        // With leases on, a restarted node forgot whom it heard from: it stays quiet
        // for one election timeout so that a lease it backed before the crash expires first.
        const inLease =
          this.cfg.checkQuorum &&
          ((this.lead !== "" && this.electionElapsed < this.cfg.electionTicks) || (this.cfg.leaseTicks > 0 && this.nowTick < this.cfg.electionTicks));
        // A node that hears from a live leader ignores campaigns (unless the leader asked for one).
        if (!m.transfer && inLease) return;
      }
      if (m.kind === "requestVote" && m.preVote) {
        // A pre-vote request does not move our term.
      } else if (m.kind === "voteResponse" && m.preVote && m.granted) {
        // Granted pre-votes carry the future term; we move only if we win.
      } else {
        if (this.state === "leader" && this.leadTransferee !== "") this.finishTransfer(m.from === this.leadTransferee);
        const isLeaderTraffic = m.kind === "append" || m.kind === "heartbeat" || m.kind === "installSnapshot";
        this.becomeFollower(m.term, isLeaderTraffic ? m.from : "");
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.kind === "append" || m.kind === "heartbeat")) {
        // Tell a stale leader about the new term so it steps down (it may be cut off from the others).
        this.sendAppendResponse(m.from, { reject: false, index: 0, hintIndex: 0, hintTerm: 0 });
      } else if (m.kind === "requestVote" && m.preVote) {
        this.msgs.push({ kind: "voteResponse", from: this.id, to: m.from, term: this.term, preVote: true, granted: false });
      }
      return;
    }
    this.stepAtTerm(m);
  }

  private stepAtTerm(m: Message): void {
    switch (m.kind) {
      case "requestVote":
        this.handleRequestVote(m);
        return;
      case "voteResponse":
        this.handleVoteResponse(m);
        return;
      case "append":
      case "heartbeat":
      case "installSnapshot":
        this.handleLeaderTraffic(m);
        return;
      case "appendResponse":
        if (this.state === "leader") this.handleAppendResponse(m);
        return;
      case "heartbeatResponse":
        if (this.state === "leader") this.handleHeartbeatResponse(m);
        return;
      case "timeoutNow":
        if (this.state !== "leader") this.hup(true);
        return;
      case "readIndex":
        if (this.state === "leader") this.handleReadRequest(m.requestId, m.from);
        return;
      case "readIndexResponse":
        if (this.state !== "leader") this.readStates.push({ requestId: m.requestId, index: m.index });
        return;
      default: {
        const unreachable: never = m;
        throw new Error(`raft ${this.id}: unknown message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private handleRequestVote(m: RequestVote): void {
    const canVote = this.vote === m.from || (this.vote === "" && this.lead === "") || (m.preVote && m.term > this.term);
    if (canVote && this.isRecordedSelf() && this.raftLog.isUpToDate(m.lastIndex, m.lastTerm)) {
      this.msgs.push({ kind: "voteResponse", from: this.id, to: m.from, term: m.term, preVote: m.preVote, granted: true });
      if (!m.preVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.msgs.push({ kind: "voteResponse", from: this.id, to: m.from, term: this.term, preVote: m.preVote, granted: false });
    }
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expecting = m.preVote ? this.state === "precandidate" : this.state === "candidate";
    if (!expecting) return;
    const result = this.poll(m.from, m.granted);
    if (result === "won") {
      if (this.state === "precandidate") this.campaign("election", false);
      else {
        this.becomeLeader();
      }
    } else if (result === "lost") {
      this.becomeFollower(this.term, "");
    }
  }

  private handleLeaderTraffic(m: AppendEntries | Heartbeat | InstallSnapshot): void {
    if (this.state === "leader") return; // same-term leader: impossible by election safety
    if (this.state !== "follower") this.becomeFollower(m.term, m.from);
    this.electionElapsed = 0;
    this.lead = m.from;
    switch (m.kind) {
      case "append":
        this.handleAppend(m);
        return;
      case "heartbeat":
        this.handleHeartbeat(m);
        return;
      case "installSnapshot":
        this.handleSnapshot(m);
        return;
      default: {
        const unreachable: never = m;
        throw new Error(`raft ${this.id}: unexpected leader message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  // ------------------------------------------------------- follower side

  private sendAppendResponse(to: string, r: Pick<AppendResponse, "reject" | "index" | "hintIndex" | "hintTerm">): void {
    this.msgs.push({ kind: "appendResponse", from: this.id, to, term: this.term, ...r });
  }

  private handleAppend(m: AppendEntries): void {
    const log = this.raftLog;
    if (m.prevIndex < log.committed) {
      this.sendAppendResponse(m.from, { reject: false, index: log.committed, hintIndex: 0, hintTerm: 0 });
      return;
    }
    if (log.matchTerm(m.prevIndex, m.prevTerm)) {
      const lastNew = m.prevIndex + m.entries.length;
      const conflict = log.findConflict(m.entries);
      if (conflict !== 0) {
        if (conflict <= log.committed) {
          throw new Error(`raft ${this.id}: entry ${conflict} conflicts with committed index ${log.committed}`);
        }
        const toAppend = m.entries.slice(conflict - (m.prevIndex + 1));
        log.append(toAppend);
        this.membershipLog.onAppend(toAppend);
      }
      log.commitTo(Math.min(m.commit, lastNew));
      this.sendAppendResponse(m.from, { reject: false, index: lastNew, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const guess = log.findConflictByTerm(Math.min(m.prevIndex, log.lastIndex()), m.prevTerm);
    this.sendAppendResponse(m.from, { reject: true, index: m.prevIndex, hintIndex: guess, hintTerm: log.term(guess) ?? 0 });
  }

  private handleHeartbeat(m: Heartbeat): void {
    this.raftLog.commitTo(Math.min(m.commit, this.raftLog.lastIndex()));
    const r: HeartbeatResponse = { kind: "heartbeatResponse", from: this.id, to: m.from, term: this.term, round: m.round };
    this.msgs.push(r);
  }

  private handleSnapshot(m: InstallSnapshot): void {
    const s = m.snapshot;
    const log = this.raftLog;
    if (s.index <= log.committed) {
      this.sendAppendResponse(m.from, { reject: false, index: log.committed, hintIndex: 0, hintTerm: 0 });
      return;
    }
    if (log.matchTerm(s.index, s.term)) {
      // We already hold the snapshot's entries: just learn that they are committed.
      log.commitTo(s.index);
    } else {
      this.restore(s);
    }
    this.sendAppendResponse(m.from, { reject: false, index: log.committed, hintIndex: 0, hintTerm: 0 });
  }

  private restore(s: SnapshotMeta): void {
    this.raftLog.restore(s);
    this.membershipLog.reset(s.membership);
  }

  // --------------------------------------------------------- leader side

  private appendEntries(items: readonly NewEntry[]): number {
    const first = this.raftLog.lastIndex() + 1;
    const entries: Entry[] = items.map((it, i) => ({ index: first + i, term: this.term, kind: it.kind, data: it.data }));
    this.raftLog.append(entries);
    if (this.membershipLog.onAppend(entries)) this.rebuildProgress();
    this.bcastAppend();
    this.maybeCommit();
    return first;
  }

  /** Sends an append (or a snapshot) if the peer's flow allows; returns whether something went out. */
  private sendAppend(to: string, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const log = this.raftLog;
    const prevIndex = pr.next - 1;
    const prevTerm = log.term(prevIndex);
    const hi = Math.min(log.lastIndex() + 1, pr.next + this.cfg.maxEntriesPerMessage);
    const entries = prevTerm === undefined ? undefined : log.slice(pr.next, hi, this.cfg.maxBytesPerMessage);
    if (prevTerm === undefined || entries === undefined) return this.sendSnapshot(to, pr);
    if (entries.length === 0 && !sendIfEmpty) return false;
    // As heartbeats: never a commit beyond what this message covers (the follower clamps it anyway; a
    // smaller number tells no one more than they can use).
    const commit = Math.min(log.committed, prevIndex + entries.length);
    const m: AppendEntries = { kind: "append", from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit };
    this.msgs.push(m);
    pr.onAppendSent(entries[entries.length - 1]?.index);
    return true;
  }

  private sendSnapshot(to: string, pr: Progress): boolean {
    const snapshot = this.raftLog.storage.snapshot();
    if (snapshot.index === 0) {
      // The log is compacted below what this peer needs, but no snapshot is
      // available yet (e.g. the only one on disk was corrupt and skipped, and
      // the engine is taking a fresh one). Temporary, as etcd's
      // ErrSnapshotTemporarilyUnavailable: send nothing now; the next
      // heartbeat response retries.
      return false;
    }
    pr.becomeSnapshot(snapshot.index);
    this.msgs.push({ kind: "installSnapshot", from: this.id, to, term: this.term, snapshot });
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) this.sendAppend(id, true);
  }

  private bcastHeartbeat(): void {
    const round = this.reads.startRound(this.nowTick);
    for (const [id, pr] of this.progress) {
      const commit = Math.min(pr.match, this.raftLog.committed);
      this.msgs.push({ kind: "heartbeat", from: this.id, to: id, term: this.term, commit, round });
    }
    this.onRoundAcks();
  }

  private markContact(id: string, pr: Progress): void {
    pr.heardFrom(this.nowTick);
    if (this.unreachablePeers.delete(id)) this.events.push({ kind: "peerReachable", peer: id });
  }

  private handleAppendResponse(m: AppendResponse): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    this.markContact(m.from, pr);
    if (m.reject) {
      let hint = m.hintIndex;
      if (m.hintTerm > 0) hint = this.raftLog.findConflictByTerm(m.hintIndex, m.hintTerm);
      const matchBefore = pr.match;
      const outcome = pr.onReject(m.index, hint);
      switch (outcome) {
        case "stale":
          return;
        case "regressed":
          this.events.push({ kind: "peerLogRegressed", peer: m.from, acknowledged: matchBefore, holds: pr.match });
          break;
        case "retry":
          break;
        default: {
          const unreachable: never = outcome;
          throw new Error(`unknown reject outcome ${String(unreachable)}`);
        }
      }
      this.sendAppend(m.from, true);
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.onAppendAck(m.index)) return;
    if (this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(m.from, true);
    while (this.sendAppend(m.from, false)) {
      // Pipeline: keep sending batches until caught up or the window is full.
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(m.from);
    this.maybePromote();
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    this.markContact(m.from, pr);
    pr.onHeartbeatResponse();
    if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from, true);
    if (pr.ackRound(m.round)) this.onRoundAcks();
  }

  /** Figure 8: only an entry of the current term is committed by counting replicas. */
  private maybeCommit(): boolean {
    const persisted = this.raftLog.persistedLastIndex();
    const matches = this.voters().map((id) => (id === this.id ? persisted : (this.progress.get(id)?.match ?? 0)));
    const index = committedIndex(matches);
    if (index <= this.raftLog.committed || this.raftLog.term(index) !== this.term) return false;
    this.raftLog.commitTo(index);
    this.onLeaderCommit();
    return true;
  }

  private onLeaderCommit(): void {
    const latest = this.membershipLog.latest();
    this.membershipLog.compactTo(this.raftLog.committed);
    if (latest.index <= this.raftLog.committed && findMember(latest, this.id)?.suffrage !== "voter") {
      // Our removal (or demotion) is committed: hand over by stepping down.
      this.becomeFollower(this.term, "");
      return;
    }
    if (this.readsAwaitingCommit.length > 0 && this.committedInCurrentTerm()) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const r of waiting) this.handleReadRequest(r.requestId, r.from);
    }
  }

  // -------------------------------------------------------------- reads

  /** Leader: queue a read behind the next heartbeat round (or until our no-op commits). */
  private handleReadRequest(requestId: string, from: string): void {
    if (!this.committedInCurrentTerm()) {
      this.readsAwaitingCommit.push({ requestId, from });
      return;
    }
    this.reads.enqueue(requestId, from, this.raftLog.committed);
    if (!this.reads.roundInFlight()) this.bcastHeartbeat();
  }

  private onRoundAcks(): void {
    const acks = this.voters().map((id) => (id === this.id ? this.reads.lastRound : (this.progress.get(id)?.ackedRound ?? 0)));
    const released = this.reads.onAcks(acks);
    for (const r of released) this.releaseRead(r);
    if (this.reads.wantsRound() && !this.reads.roundInFlight()) this.bcastHeartbeat();
  }

  private releaseRead(r: PendingRead): void {
    if (r.from === this.id) this.readStates.push({ requestId: r.requestId, index: r.index });
    else this.msgs.push({ kind: "readIndexResponse", from: this.id, to: r.from, term: this.term, requestId: r.requestId, index: r.index });
  }

  readIndex(requestId: string): AcceptResult {
    if (this.state === "leader") {
      this.handleReadRequest(requestId, this.id);
      return { ok: true };
    }
    if (this.lead === "") return this.refuse("noLeader", "no known leader to confirm a read index");
    this.msgs.push({ kind: "readIndex", from: this.id, to: this.lead, term: this.term, requestId });
    return { ok: true };
  }

  /** Lease read (opt-in): served at once while the lease holds, else falls back to ReadIndex. */
  leaseRead(requestId: string): AcceptResult {
    const leaseValid =
      this.state === "leader" &&
      this.cfg.leaseTicks > 0 &&
      !this.leaseDisabled &&
      this.leadTransferee === "" &&
      this.committedInCurrentTerm() &&
      this.nowTick < this.reads.leaseStartTick + this.cfg.leaseTicks;
    if (leaseValid) {
      this.readStates.push({ requestId, index: this.raftLog.committed });
      return { ok: true };
    }
    return this.readIndex(requestId);
  }

  // ---------------------------------------------------------- proposals

  propose(data: Uint8Array): ProposalResult {
    return this.proposeBatch([data]);
  }

  /** Appends a batch of normal entries; they land at [index, index + datas.length). */
  proposeBatch(datas: readonly Uint8Array[]): ProposalResult {
    const refused = this.notReadyToLead();
    if (refused !== undefined) return refused;
    if (datas.length === 0) return { ok: true, index: this.raftLog.lastIndex() + 1, term: this.term };
    const index = this.appendEntries(datas.map((data) => ({ kind: "normal", data })));
    return { ok: true, index, term: this.term };
  }

  /** hashicorp's Barrier: a no-op whose apply means everything before it is applied. */
  barrier(): ProposalResult {
    const refused = this.notReadyToLead();
    if (refused !== undefined) return refused;
    const index = this.appendEntries([{ kind: "noop", data: noData }]);
    return { ok: true, index, term: this.term };
  }

  changeMembership(change: MembershipChange, prevIndex: number): ProposalResult {
    const refused = this.notReadyToLead();
    if (refused !== undefined) return refused;
    const latest = this.membershipLog.latest();
    if (
      change.kind !== "demoteVoter" &&
      change.kind !== "removeServer" &&
      change.id === this.id &&
      (change.incarnation ?? "") !== "" &&
      change.incarnation !== this.cfg.incarnation
    ) {
      return this.refuse(
        "invalidChange",
        `server ${change.id} is the leader itself, which runs incarnation ${this.cfg.incarnation}, not ${change.incarnation}`,
      );
    }
    if (prevIndex !== 0 && prevIndex !== latest.index) {
      return this.refuse("configIndexMismatch", `configuration is at index ${latest.index}, not ${prevIndex}`);
    }
    if (latest.index > this.raftLog.committed) {
      return this.refuse("configChangePending", `configuration change at index ${latest.index} is not committed yet`);
    }
    if (!this.committedInCurrentTerm()) {
      return this.refuse("leaderNotReady", `leader has not committed an entry in term ${this.term} yet`);
    }
    const plan = planChange(latest, change);
    if (plan.kind === "members" || plan.kind === "stageThenPromote") {
      const atRisk = this.quorumAtRisk(plan.members);
      if (atRisk !== undefined) return this.refuse("quorumAtRisk", atRisk);
    }
    switch (plan.kind) {
      case "invalid":
        return this.refuse("invalidChange", plan.reason);
      case "noop":
        return { ok: true, index: latest.index, term: this.raftLog.term(latest.index) ?? 0 };
      case "members":
        return this.proposeMembers(plan.members);
      case "stageThenPromote": {
        this.pendingPromotions.add(change.id);
        if (sameMembers(plan.members, latest.members)) {
          const before = this.membershipLog.latest().index;
          this.maybePromote();
          const now = this.membershipLog.latest().index;
          return { ok: true, index: now, term: now === before ? (this.raftLog.term(now) ?? 0) : this.term };
        }
        return this.proposeMembers(plan.members);
      }
      default: {
        const unreachable: never = plan;
        throw new Error(`unknown change plan ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Why a configuration with these members could not commit now (undefined
   * when it could): a configuration takes effect as soon as it is appended,
   * so one whose voters in contact with this leader are not a quorum wedges
   * the cluster until the missing ones return — forever if one lost its data
   * (etcd refuses such changes with --strict-reconfig-check). In contact: this
   * node, and peers heard from within an election timeout.
   */
  private quorumAtRisk(members: readonly Member[]): string | undefined {
    const voters = members.filter((m) => m.suffrage === "voter").map((m) => m.id);
    const inContact = voters.filter((id) => {
      if (id === this.id) return true;
      const pr = this.progress.get(id);
      return pr !== undefined && this.nowTick - pr.lastContactTick < this.cfg.electionTicks;
    });
    const need = Math.floor(voters.length / 2) + 1;
    if (inContact.length >= need) return undefined;
    const missing = voters.filter((id) => !inContact.includes(id));
    return `the new configuration's voters ${voters.join(", ")} need ${need} in contact, but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not; bring ${missing.length === 1 ? "it" : "them"} back first`;
  }

  private proposeMembers(members: Member[]): ProposalResult {
    if (!members.some((m) => m.suffrage === "voter")) {
      return this.refuse("invalidChange", "a configuration needs at least one voter");
    }
    const index = this.appendEntries([{ kind: "config", data: encodeMembers(members) }]);
    return { ok: true, index, term: this.term };
  }

  /** Promotes one caught-up nonvoter, if no other change is pending. */
  private maybePromote(): void {
    if (this.state !== "leader" || this.pendingPromotions.size === 0 || this.leadTransferee !== "") return;
    const latest = this.membershipLog.latest();
    if (latest.index > this.raftLog.committed || !this.committedInCurrentTerm()) return;
    const lastIndex = this.raftLog.lastIndex();
    for (const id of this.pendingPromotions) {
      const pr = this.progress.get(id);
      const members = promoted(latest, id);
      if (pr === undefined || members === undefined) {
        this.pendingPromotions.delete(id);
        continue;
      }
      if (pr.match > 0 && lastIndex - pr.match <= this.cfg.promotionLag) {
        this.pendingPromotions.delete(id);
        const index = this.appendEntries([{ kind: "config", data: encodeMembers(members) }]);
        this.events.push({ kind: "nonvoterPromoted", peer: id, index });
        return;
      }
    }
  }

  // --------------------------------------------------- leadership transfer

  transferLeadership(target: string | undefined): AcceptResult {
    const refused = this.notReadyToLead();
    if (refused !== undefined) return refused;
    const voters = this.voters().filter((id) => id !== this.id);
    let chosen = target;
    if (chosen === undefined) {
      // The most up-to-date voter needs the least catching up.
      let best = -1;
      for (const id of voters) {
        const match = this.progress.get(id)?.match ?? 0;
        if (match > best) {
          best = match;
          chosen = id;
        }
      }
      if (chosen === undefined) return this.refuse("unknownServer", "no other voter to transfer leadership to");
    } else if (chosen === this.id) {
      return this.refuse("invalidChange", "cannot transfer leadership to itself");
    } else if (!voters.includes(chosen)) {
      return this.refuse("unknownServer", `server ${chosen} is not a voter`);
    }
    this.leadTransferee = chosen;
    this.transferElapsed = 0;
    const pr = this.progress.get(chosen);
    if (pr !== undefined && pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(chosen);
    else this.sendAppend(chosen, true);
    return { ok: true };
  }

  private sendTimeoutNow(to: string): void {
    this.leaseDisabled = true;
    this.msgs.push({ kind: "timeoutNow", from: this.id, to, term: this.term });
  }

  private finishTransfer(succeeded: boolean): void {
    if (this.leadTransferee === "") return;
    this.events.push({ kind: "leadershipTransferFinished", target: this.leadTransferee, succeeded });
    this.leadTransferee = "";
    this.transferElapsed = 0;
  }

  // ------------------------------------------------ engine notifications

  /** Entries up to (index, term) are durable. */
  onPersisted(index: number, term: number): void {
    this.raftLog.unstable.stableTo(index, term);
    if (this.state === "leader" && this.maybeCommit()) this.bcastAppend();
  }

  onSnapshotPersisted(index: number): void {
    this.raftLog.unstable.stableSnapshotTo(index);
  }

  onApplied(index: number): void {
    if (index > this.raftLog.applied) this.raftLog.applied = index;
  }

  /** The engine took a snapshot at index: the log may be compacted, keeping trailing entries. */
  snapshotTaken(index: number): void {
    const compactTo = index - this.cfg.trailingLogs;
    if (compactTo > this.compactLogTo && compactTo >= this.raftLog.storage.firstIndex()) this.compactLogTo = compactTo;
  }

  reportUnreachable(peer: string): void {
    const pr = this.progress.get(peer);
    if (pr === undefined) return;
    pr.onUnreachable();
    if (!this.unreachablePeers.has(peer)) {
      this.unreachablePeers.add(peer);
      this.events.push({ kind: "peerUnreachable", peer });
    }
  }

  /** The engine finished (or failed) streaming a snapshot to peer. */
  reportSnapshot(peer: string, succeeded: boolean): void {
    this.progress.get(peer)?.onSnapshotReported(succeeded);
  }
}

function sameMembers(a: readonly Member[], b: readonly Member[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((m) =>
    b.some(
      (o) =>
        o.id === m.id &&
        o.suffrage === m.suffrage &&
        o.raftAddress === m.raftAddress &&
        o.clientAddress === m.clientAddress &&
        incarnationOf(o) === incarnationOf(m),
    ),
  );
}
