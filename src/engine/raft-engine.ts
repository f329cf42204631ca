import type { Failpoints } from "../failpoint/failpoints.ts";
import type { Logger } from "../log/logger.ts";
import { RateLimitedLog } from "../log/rate-limited-log.ts";
import type { HardState } from "../raft/hard-state.ts";
import type { Member, Membership } from "../raft/membership.ts";
import type { InstallSnapshot, Message } from "../raft/message.ts";
import type { RaftEvent } from "../raft/raft-event.ts";
import type { RaftStats } from "../raft/raft-stats.ts";
import { RawNode } from "../raft/raw-node.ts";
import type { Ready } from "../raft/ready.ts";
import type { Role } from "../raft/role.ts";
import type { SnapshotMeta as RaftSnapshotMeta } from "../raft/snapshot-meta.ts";
import { RaftAdmin } from "./admin.ts";
import type { Applied } from "./applied.ts";
import type { EngineRole, EngineStatus, ReadConsistency } from "./engine.ts";
import { EngineError } from "./engine-error.ts";
import { RaftIoMeter, type RaftIoStats } from "./io-meter.ts";
import { RaftLogCompactor } from "./log-compactor.ts";
import { RaftLogStorage } from "./log-storage.ts";
import type { LogStore } from "./log-store.ts";
import { RaftMemberAddresses, type SeedPeer } from "./member-addresses.ts";
import { RaftNotLeaderError } from "./not-leader-error.ts";
import type { ProposalOutcome, RaftObserver } from "./observer.ts";
import type { RaftPeerInbox } from "./peer-inbox.ts";
import { PeerIncarnations } from "./peer-incarnations.ts";
import { decodePeerPayload, encodePeerPayload, encodeRaftMessage, type PeerPayload } from "./peer-message-codec.ts";
import { checkPeerPayload } from "./peer-message-guard.ts";
import type { PeerNetwork, PeerSender } from "./peer-network.ts";
import { type PeerRejectionCounts, PeerRejections } from "./peer-rejections.ts";
import { RaftProposals } from "./proposals.ts";
import { RaftReadWaiters, type ReadIndexSource } from "./read-waiters.ts";
import type { Scheduler, TimerHandle } from "./scheduler.ts";
import { RaftSnapshotReceiver } from "./snapshot-receiver.ts";
import { RaftSnapshotSender } from "./snapshot-sender.ts";
import { type RaftSnapshotOptions, RaftSnapshotter } from "./snapshotter.ts";
import type { StateMachine } from "./state-machine.ts";
import { defaultRaftTiming, type RaftTiming, ticksOf } from "./timing.ts";
import { RaftWaiter } from "./waiter.ts";

export interface RaftEngineOptions<R, M extends StateMachine<R>> {
  readonly id: string;
  /** The log must already hold a cluster (see bootstrapLog). */
  readonly logStore: LogStore;
  readonly stateMachine: M;
  /** Listening on the Raft port, created with `inbox.deliver` as its onMessage. */
  readonly transport: PeerNetwork;
  readonly inbox: RaftPeerInbox;
  /** Clock, timers and randomness. */
  readonly scheduler: Scheduler;
  /** This node's data dir incarnation (see Member.incarnation). */
  readonly incarnation: string;
  /** See RaftConfig.acceptUnrecordedIncarnation (false for a data dir that entered by a join). */
  readonly acceptUnrecordedIncarnation: boolean;
  /** Crash points for the chaos suite and the simulator; undefined in normal operation. */
  readonly failpoints?: Failpoints;
  /** This node's client address as others should dial it; advertised to the cluster. */
  readonly clientAddress: string;
  /** This node's raft address as others should dial it; advertised to the cluster when it changed (default: left as recorded). */
  readonly raftAddress?: string;
  /** The cluster id peers present (reported in status, so a joining node can learn it). */
  readonly clusterId?: string;
  /**
   * Members to dial before this node's log holds a configuration listing
   * itself: a joining node must answer the leader before it learns the
   * configuration from the leader's log.
   */
  readonly seedPeers?: readonly SeedPeer[];
  readonly timing?: Partial<RaftTiming>;
  /** A proposal or read with no AbortSignal fails with "timeout" after this long (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  /** Snapshots, log compaction and InstallSnapshot; without it the log is never compacted. */
  readonly snapshots?: RaftSnapshotOptions;
  /** Told of persists, applies, leader changes, proposal outcomes and snapshots (metrics). */
  readonly observer?: RaftObserver;
}

/** What the engine did with snapshots since it started. */
export interface RaftSnapshotStats {
  readonly taken: number;
  /** Snapshots received from a leader and restored into the state machine. */
  readonly installed: number;
  readonly latestIndex: number;
  /** Size of the newest snapshot's file (0 when there is none). */
  readonly latestBytes: number;
}

/** A follower's replication as its leader sees it. */
export interface PeerReplication {
  readonly id: string;
  readonly matchIndex: number;
  /** Entries the leader holds that the peer is not known to have. */
  readonly lagEntries: number;
  /** Since the leader last heard from it, to the tick (100 ms by default). */
  readonly lastContactMs: number;
}

/** How often a member re-checks that the cluster knows its client address. */
const ADVERTISE_EVERY_TICKS = 2;
/** How often the event-loop time spent in SQLite is logged (debug level). */
const IO_REPORT_EVERY_MS = 10_000;
const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;

/** Payloads that count toward a quorum (a vote, an acknowledgement, a snapshot's receipt) or change the configuration. */
// requestVote is decided by RaftEngine.needsRecordedIncarnation.
function countsTowardQuorum(payload: PeerPayload): boolean {
  switch (payload.kind) {
    case "raft":
      switch (payload.message.kind) {
        case "voteResponse":
        case "appendResponse":
        case "heartbeatResponse":
          return true;
        case "append":
        case "heartbeat":
        case "installSnapshot":
        case "timeoutNow":
        case "requestVote":
        case "readIndex":
        case "readIndexResponse":
          return false;
        default: {
          const unreachable: never = payload.message;
          throw new Error(`unknown raft message ${JSON.stringify(unreachable)}`);
        }
      }
    case "snapshotAck":
    case "clientAddress":
      return true;
    case "snapshotChunk":
    case "refusal":
      return false;
    default: {
      const unreachable: never = payload;
      throw new Error(`unknown peer payload ${JSON.stringify(unreachable)}`);
    }
  }
}

/** How a rejected proposal ended, from the error its waiter got. */
function outcomeOf(error: unknown): ProposalOutcome {
  if (error instanceof RaftNotLeaderError) return error.proposed ? "unknown" : "not_leader";
  if (!(error instanceof EngineError)) return "failed";
  switch (error.reason) {
    case "timeout":
    case "aborted":
      return "timeout";
    case "outcomeUnknown":
      return "unknown";
    case "notLeader":
      return "not_leader";
    default:
      return "failed";
  }
}

function engineRoleOf(role: Role): EngineRole {
  switch (role) {
    case "follower":
      return "follower";
    case "precandidate":
      return "precandidate";
    case "candidate":
      return "candidate";
    case "leader":
      return "leader";
    case "learner":
      return "learner";
    default: {
      const unreachable: never = role;
      throw new Error(`unknown role ${String(unreachable)}`);
    }
  }
}

/**
 * Drives the pure Raft core with real I/O: a tick timer, the peer transport,
 * the SQLite log (one transaction, one fsync, per Ready) and the state
 * machine (one transaction per Ready's committed entries).
 *
 * Everything runs on the event loop: inputs (ticks, peer messages,
 * proposals, reads) only step the core and schedule one drain on the next
 * macrotask, so everything that arrived in one turn shares one Ready: one
 * fsync for many proposals (group commit) and one quorum round for many reads.
 *
 * Every effect goes through a port (log store, state machine, snapshot
 * files, peer network, scheduler), so the simulator runs this very code
 * under a virtual clock with in-memory stores that lose what a crash loses.
 */
export class RaftEngine<R, M extends StateMachine<R> = StateMachine<R>> {
  readonly stateMachine: M;
  private readonly ioMeter = new RaftIoMeter();
  private readonly raw: RawNode;
  private readonly logStore: LogStore;
  private readonly scheduler: Scheduler;
  private readonly failpoints: Failpoints | undefined;
  private readonly incarnation: string;
  private readonly peerIncarnations: PeerIncarnations;
  private readonly logger: Logger | undefined;
  /**
   * A peer can send bad payloads at will: its warnings (and the refusals
   * answered to it) are rate-limited, with or without a logger, so that
   * logging never changes what the node sends.
   */
  private readonly peerWarnings: RateLimitedLog;
  /** Peer payloads dropped before the core, per reason. */
  private readonly rejections: PeerRejections;
  private readonly stopListeners = new Set<(error: Error) => void>();
  private readonly requestTimeoutMs: number;
  /** How long a request waits for an election to produce a leader before it fails as not_leader. */
  private readonly leaderWaitMs: number;
  private readonly addresses: RaftMemberAddresses;
  /** Operator API: membership changes, transfer, barrier, verify-leader, snapshot-now, status. */
  readonly admin: RaftAdmin;
  private readonly tickTimer: TimerHandle;
  private readonly transport: PeerNetwork;
  private readonly proposals: RaftProposals<R>;
  private readonly reads: RaftReadWaiters;
  private readonly compactor: RaftLogCompactor;
  private readonly selfId: string;
  private readonly readSource: ReadIndexSource;
  private drainScheduled = false;
  private draining = false;
  private closed = false;
  private fatal: Error | undefined;
  private ticks = 0;
  private readonly tickMs: number;
  /** Ticks the core may be fed at once after a stall: enough to expire a lease and an election timeout twice. */
  private readonly maxCatchUpTicks: number;
  private nextTickAtMs: number;
  private writtenHardState: HardState;
  private readonly snapshotter: RaftSnapshotter | undefined;
  private readonly snapshotSender: RaftSnapshotSender | undefined;
  private readonly snapshotReceiver: RaftSnapshotReceiver | undefined;
  private snapshotsTaken = 0;
  private snapshotsInstalled = 0;
  private readonly observer: RaftObserver | undefined;
  /** The leader last reported to the observer ("" before any). */
  private observedLeader = "";

  private constructor(options: RaftEngineOptions<R, M>, raw: RawNode, timing: RaftTiming, snapshotter: RaftSnapshotter | undefined) {
    const scheduler = options.scheduler;
    this.selfId = options.id;
    this.observer = options.observer;
    this.stateMachine = options.stateMachine;
    this.logStore = options.logStore;
    this.scheduler = scheduler;
    this.failpoints = options.failpoints;
    this.incarnation = options.incarnation;
    this.peerIncarnations = new PeerIncarnations(options.logStore);
    this.reads = new RaftReadWaiters(Math.floor(scheduler.random() * 2 ** 48).toString(36));
    this.lastIoReport = { atMs: scheduler.now(), stats: this.ioMeter.snapshot() };
    this.compactor = new RaftLogCompactor(options.logStore);
    this.logger = options.logger;
    this.peerWarnings = new RateLimitedLog(options.logger ?? { warn: () => {} }, 5, 10_000, () => scheduler.now());
    this.rejections = new PeerRejections(this.peerWarnings);
    this.raw = raw;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    // Two randomized election timeouts' worth: a normal election fits, a lost quorum does not.
    this.leaderWaitMs = 2 * 2 * Math.max(timing.heartbeatTimeoutMs, timing.electionTimeoutMs);
    this.transport = options.transport;
    this.addresses = new RaftMemberAddresses(
      options.id,
      raw,
      options.transport,
      options.raftAddress,
      options.clientAddress,
      options.incarnation,
      options.seedPeers ?? [],
      () => this.scheduleDrain(),
      options.logger,
      () => scheduler.now(),
    );
    this.proposals = new RaftProposals<R>({
      raw,
      leaderWaitMs: this.leaderWaitMs,
      now: () => scheduler.now(),
      notLeader: (proposed, detail) => this.notLeader(proposed, detail),
      leaderClientAddress: () => this.leaderClientAddress(),
    });
    this.writtenHardState = options.logStore.hardState();
    this.readSource = {
      id: options.id,
      noLeaderKnown: () => raw.role() !== "leader" && raw.leader() === "",
      leaderWaitMs: this.leaderWaitMs,
      readIndex: (requestId) => raw.readIndex(requestId),
      leaseRead: (requestId) => raw.leaseRead(requestId),
    };
    this.tickMs = timing.tickMs;
    this.maxCatchUpTicks = 2 * ticksOf(timing).electionTicks + 1;
    this.nextTickAtMs = scheduler.now() + timing.tickMs;
    this.snapshotter = snapshotter;
    if (snapshotter !== undefined) {
      const store = snapshotter.store;
      this.snapshotSender = new RaftSnapshotSender(
        store,
        scheduler,
        options.snapshots?.chunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES,
        (to, chunk) => {
          const sent = this.transport.send(to, encodePeerPayload(chunk));
          this.transport.flush();
          return sent;
        },
        (peer, ok) => {
          if (this.closed) return;
          this.raw.reportSnapshot(peer, ok);
          this.scheduleDrain();
        },
        options.logger,
        // Two election timeouts (2 s by default): a lost chunk or ack is sent again well before a transfer looks dead.
        { ackTimeoutMs: 2 * Math.max(timing.heartbeatTimeoutMs, timing.electionTimeoutMs), maxResends: 5 },
      );
      this.snapshotReceiver = new RaftSnapshotReceiver(
        options.id,
        store,
        () => !snapshotter.busy && !this.closed && this.fatal === undefined,
        (message) => this.onSnapshotReceived(message),
        (to, ack) => {
          this.transport.send(to, encodePeerPayload(ack));
          this.transport.flush();
        },
        options.logger,
      );
    }
    this.admin = new RaftAdmin({
      id: options.id,
      scheduler,
      clusterId: options.clusterId ?? "",
      raw,
      tickMs: timing.tickMs,
      timeoutMs: this.requestTimeoutMs,
      refusal: (signal) => this.refuseIfStopped(signal),
      notLeader: (detail) => this.notLeader(false, detail),
      track: (index, term, waiter) => this.proposals.track(index, term, waiter as RaftWaiter<Applied<R>>),
      scheduleDrain: () => this.scheduleDrain(),
      status: () => this.status(),
      leaderClientAddress: () => this.leaderClientAddress(),
      readIndex: (signal) => this.readBarrier("linearizable", signal),
      snapshotNow: snapshotter === undefined ? undefined : () => snapshotter.takeNow(),
    });
    this.tickTimer = scheduler.every(timing.tickMs, () => this.onTick());
  }

  static start<R, M extends StateMachine<R>>(options: RaftEngineOptions<R, M>): RaftEngine<R, M> {
    const timing: RaftTiming = { ...defaultRaftTiming, ...options.timing };
    const ticks = ticksOf(timing);
    // The snapshotter exists before the core (whose storage reads it) and the engine (which it reports to).
    let onSnapshotTaken: (index: number, taken: { durationMs: number; bytes: number }) => void = () => {};
    const snapshotter =
      options.snapshots === undefined
        ? undefined
        : new RaftSnapshotter(
            options.snapshots,
            options.stateMachine,
            options.logStore,
            (index, taken) => onSnapshotTaken(index, taken),
            options.logger,
            () => options.scheduler.random(),
            () => options.scheduler.now(),
          );
    const raw = new RawNode({
      id: options.id,
      storage: new RaftLogStorage(options.logStore, () => snapshotter?.latest()),
      ...(options.snapshots?.trailingLogs === undefined ? {} : { trailingLogs: options.snapshots.trailingLogs }),
      electionTicks: ticks.electionTicks,
      heartbeatTicks: ticks.heartbeatTicks,
      leaseTicks: ticks.leaseTicks,
      checkQuorum: true,
      preVote: true,
      random: () => options.scheduler.random(),
      applied: options.stateMachine.appliedIndex(),
      incarnation: options.incarnation,
      acceptUnrecordedIncarnation: options.acceptUnrecordedIncarnation,
    });
    const engine = new RaftEngine<R, M>(options, raw, timing, snapshotter);
    onSnapshotTaken = (index, taken) => engine.onSnapshotTaken(index, taken);
    options.inbox.attach((sender, payload) => engine.onPeerPayload(sender, payload));
    engine.addresses.syncPeers();
    // A sole voter need not wait an election timeout to lead itself.
    if (engine.isSoleVoter()) raw.campaign();
    engine.scheduleDrain();
    return engine;
  }

  get raftPort(): number {
    return this.transport.port;
  }

  get id(): string {
    return this.selfId;
  }

  membership(): Membership {
    return this.raw.membership();
  }

  stats(): RaftStats {
    return this.raw.stats();
  }

  ioStats(): RaftIoStats {
    return this.ioMeter.snapshot();
  }

  snapshotStats(): RaftSnapshotStats {
    const latest = this.snapshotter?.latest();
    return { taken: this.snapshotsTaken, installed: this.snapshotsInstalled, latestIndex: latest?.index ?? 0, latestBytes: latest?.size ?? 0 };
  }

  /** Leader only (empty elsewhere): how far each other member's log is behind and when it last answered. */
  peerReplication(): PeerReplication[] {
    const stats = this.raw.stats();
    return stats.peers
      .filter((p) => p.id !== this.selfId)
      .map((p) => ({ id: p.id, matchIndex: p.match, lagEntries: Math.max(0, stats.lastLogIndex - p.match), lastContactMs: p.ticksSinceContact * this.tickMs }));
  }

  /** The error that stopped the engine (a storage failure), undefined while it runs: a stopped engine serves nothing. */
  failure(): Error | undefined {
    return this.fatal;
  }

  /** The addresses this node advertises (where members dial it and where clients reach it) and its data dir's incarnation. */
  get advertisedAddresses(): { readonly raftAddress: string; readonly clientAddress: string; readonly incarnation: string } {
    return { raftAddress: this.addresses.advertisedRaftAddress(), clientAddress: this.addresses.clientAddress, incarnation: this.incarnation };
  }

  /** Changes the client address this node advertises (e.g. once an ephemeral port is bound). */
  setClientAddress(address: string): void {
    this.addresses.clientAddress = address;
    this.addresses.advertise();
  }

  /**
   * Resolves true once the replicated configuration carries this node's
   * current client address and the state machine applied it (so no
   * configuration entry of our own is still on its way), false after
   * timeoutMs. A sole voter settles within milliseconds; a member of a larger
   * cluster needs a leader first.
   */
  async clientAddressSettled(timeoutMs: number): Promise<boolean> {
    const deadline = this.scheduler.now() + timeoutMs;
    for (;;) {
      const membership = this.raw.membership();
      const self = membership.members.find((m) => m.id === this.id);
      if (self?.clientAddress === this.addresses.clientAddress && this.stateMachine.appliedIndex() >= membership.index) return true;
      if (this.closed || this.fatal !== undefined || this.scheduler.now() > deadline) return false;
      this.addresses.advertise();
      this.scheduleDrain();
      await this.scheduler.sleep(5);
    }
  }

  /** True when this node is the only voter (a single-node cluster). */
  isSoleVoter(): boolean {
    const voters = this.raw.membership().members.filter((m) => m.suffrage === "voter");
    return voters.length === 1 && voters[0]?.id === this.id;
  }

  leaderClientAddress(): string {
    return this.memberOf(this.raw.leader())?.clientAddress ?? "";
  }

  // ------------------------------------------------------------- Engine

  propose(command: Uint8Array, signal?: AbortSignal): Promise<Applied<R>> {
    const refusal = this.refuseIfStopped(signal);
    if (refusal !== undefined) return Promise.reject(refusal);
    const waiter = new RaftWaiter<Applied<R>>(this.scheduler, this.requestTimeoutMs, signal, "proposal");
    this.proposals.enqueue(command, waiter);
    this.scheduleDrain();
    const observer = this.observer;
    if (observer?.proposalDone !== undefined) {
      waiter.promise.then(
        () => observer.proposalDone?.("applied"),
        (error: unknown) => observer.proposalDone?.(outcomeOf(error)),
      );
    }
    return waiter.promise;
  }

  readBarrier(consistency: ReadConsistency, signal?: AbortSignal): Promise<number> {
    const refusal = this.refuseIfStopped(signal);
    if (refusal !== undefined) return Promise.reject(refusal);
    switch (consistency) {
      case "stale":
        return Promise.resolve(this.stateMachine.appliedIndex());
      case "lease":
      case "linearizable": {
        const waiter = new RaftWaiter<number>(this.scheduler, this.requestTimeoutMs, signal, "read");
        this.reads.enqueue(waiter, consistency === "lease");
        this.scheduleDrain();
        return waiter.promise;
      }
      default: {
        const unreachable: never = consistency;
        return Promise.reject(new Error(`unknown read consistency ${String(unreachable)}`));
      }
    }
  }

  status(): EngineStatus {
    const stats = this.raw.status();
    return {
      id: this.id,
      role: this.closed ? "shutdown" : engineRoleOf(stats.role),
      term: stats.term,
      leaderId: this.closed ? "" : stats.leader,
      commitIndex: stats.commitIndex,
      appliedIndex: this.stateMachine.appliedIndex(),
      lastLogIndex: stats.lastLogIndex,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tickTimer.cancel();
    this.failAll(new EngineError("shutdown", "the node is shutting down"), "the node shut down before it was applied");
    this.snapshotSender?.cancelAll();
    this.snapshotReceiver?.abortAll();
    // The state machine is closed after us: let a snapshot copy of it finish first.
    await this.snapshotter?.idle();
    await this.transport.close();
  }

  // ------------------------------------------------------------- inputs

  private refuseIfStopped(signal: AbortSignal | undefined): EngineError | undefined {
    if (this.closed) return new EngineError("shutdown", "the node is shutting down");
    if (this.fatal !== undefined) return new EngineError("storage", `the engine stopped after a storage failure: ${this.fatal.message}`);
    if (signal?.aborted) return new EngineError("aborted", "the request was cancelled before it started");
    return undefined;
  }

  private onTick(): void {
    if (this.closed || this.fatal !== undefined) return;
    this.advanceClock();
    this.ticks++;
    if (this.ticks % ADVERTISE_EVERY_TICKS === 0) this.addresses.advertise();
    this.addresses.syncPeers();
    this.reads.retryStale(this.scheduler.now());
    this.reportIo();
    this.snapshotter?.maybeTake(this.scheduler.now());
    if (this.compactor.pending) this.compactor.step(this.stateMachine.appliedIndex());
    this.scheduleDrain();
  }

  /**
   * Feeds the core every tick that elapsed up to now. setInterval fires once
   * after a stall (SIGSTOP, a long fsync, GC), not once per missed interval,
   * and I/O queued during the stall may run before the timer does; the
   * core's leader lease and election timer count ticks, so every decision
   * (drain included) first brings them up to date: a leader paused past its
   * lease must not serve a lease read as if no time had passed.
   */
  private advanceClock(): void {
    const now = this.scheduler.now();
    if (now < this.nextTickAtMs) return;
    const due = Math.floor((now - this.nextTickAtMs) / this.tickMs) + 1;
    this.nextTickAtMs += due * this.tickMs;
    for (let i = Math.min(due, this.maxCatchUpTicks); i > 0; i--) this.raw.tick();
  }

  private lastIoReport: { atMs: number; stats: RaftIoStats };

  /** Logs how many ms per second the event loop was blocked by persist and apply (bun:sqlite is synchronous). */
  private reportIo(): void {
    const now = this.scheduler.now();
    const elapsedMs = now - this.lastIoReport.atMs;
    if (elapsedMs < IO_REPORT_EVERY_MS || this.logger === undefined) return;
    const stats = this.ioMeter.snapshot();
    const before = this.lastIoReport.stats;
    this.lastIoReport = { atMs: now, stats };
    if (stats.persists === before.persists && stats.applies === before.applies) return;
    const perSecond = (ms: number): number => Math.round((ms / elapsedMs) * 1000 * 10) / 10;
    this.logger.debug("raft engine io", {
      persistMsPerSecond: perSecond(stats.persistMs - before.persistMs),
      applyMsPerSecond: perSecond(stats.applyMs - before.applyMs),
      persistsPerSecond: perSecond(stats.persists - before.persists),
      appliesPerSecond: perSecond(stats.applies - before.applies),
    });
  }

  /** Peer payloads dropped before they reached the core, per reason (a node's metrics read this). */
  peerMessageRejections(): PeerRejectionCounts {
    return this.rejections.snapshot();
  }

  /** Connections the Raft port closed, per reason (a node's metrics read this). */
  peerConnectionRejections(): Readonly<Record<string, number>> {
    return this.transport.connectionRejections?.() ?? {};
  }

  /** Why the engine stopped (a storage failure it cannot go on from); undefined while it runs or after a clean close. */
  stoppedBy(): Error | undefined {
    return this.fatal;
  }

  /** Calls `listener` once if the engine stops on a failure; returns the function that unsubscribes it. */
  onStopped(listener: (error: Error) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  private onPeerPayload(sender: PeerSender, bytes: Uint8Array): void {
    if (this.closed || this.fatal !== undefined) return;
    const from = sender.id;
    let payload: PeerPayload;
    try {
      payload = decodePeerPayload(bytes);
    } catch (error) {
      this.rejections.record(from, { reason: "undecodable", detail: String(error) }, "?");
      return;
    }
    // Checked before anything of it is remembered (incarnation pins, addresses) or reaches the core.
    const rejection = checkPeerPayload(this.selfId, this.raw, from, payload);
    if (rejection !== undefined) {
      this.rejections.record(from, rejection, payload.kind === "raft" ? payload.message.kind : payload.kind);
      return;
    }
    if (payload.kind === "refusal") {
      this.onRefused(from, payload.reason);
      return;
    }
    // Pinned only for members: a stranger's id must not cost a durable write.
    if (this.memberOf(from) !== undefined) this.peerIncarnations.heard(from, sender.incarnation);
    this.addresses.heard(from, sender.address);
    if (this.needsRecordedIncarnation(payload) && !this.acceptsIncarnation(sender)) {
      this.rejections.count("incarnation");
      return;
    }
    switch (payload.kind) {
      case "raft":
        this.raw.step(payload.message);
        break;
      case "clientAddress":
        // The incarnation recorded is the one the connection vouches for, whatever the note says.
        this.addresses.record(payload.from, payload.clientAddress, payload.raftAddress, sender.incarnation);
        break;
      case "snapshotChunk":
        if (this.snapshotReceiver === undefined) return;
        void this.snapshotReceiver.onChunk(from, payload);
        return;
      case "snapshotAck":
        this.snapshotSender?.onAck(from, payload);
        return;
      default: {
        const unreachable: never = payload;
        throw new Error(`unknown peer payload ${JSON.stringify(unreachable)}`);
      }
    }
    this.scheduleDrain();
  }

  /**
   * A vote or an acknowledgement counts only from the data dir incarnation
   * the configuration records for its sender: a node that lost its log and
   * came back under the same id must not vote or acknowledge as the member
   * that held it (it joins again and is re-added). The refused node is told
   * why. What a leader sends is accepted from any incarnation: it was
   * elected with votes checked this way, and a follower whose configuration
   * is older than the leader's re-admission must still hear from it to learn
   * of it. A vote request is the one in between (see needsRecordedIncarnation).
   */
  private acceptsIncarnation(sender: PeerSender): boolean {
    const recorded = this.peerIncarnations.expected(sender.id, this.memberOf(sender.id));
    if (recorded === "" || recorded === sender.incarnation) return true;
    const reason =
      `the configuration records member ${sender.id} with data dir incarnation ${recorded}, but this node runs incarnation ` +
      `${sender.incarnation || "(none)"}: its data dir was wiped or re-created, so it does not hold what ${sender.id} acknowledged; ` +
      `start it with --join to be re-added as a new member (or run 'raftkv cluster remove ${sender.id}' first)`;
    if (this.peerWarnings.allow(`incarnation:${sender.id}`)) {
      this.logger?.warn("ignoring a peer that is not the incarnation the configuration records", {
        peer: sender.id,
        recorded,
        presented: sender.incarnation,
      });
      this.transport.send(sender.id, encodePeerPayload({ kind: "refusal", from: this.selfId, reason }));
    }
    return false;
  }

  /**
   * Whether a payload must come from the recorded incarnation. A vote
   * request from another incarnation is heard only when the candidate's log
   * goes past our latest configuration: then it may hold the entry that
   * re-admitted it under its new incarnation, which we have not seen yet (we
   * must not stall its election). A node whose data dir was re-created (a
   * re-bootstrap: a one-entry log) or is still catching up after a join
   * never gets that far, so it cannot collect our vote.
   */
  private needsRecordedIncarnation(payload: PeerPayload): boolean {
    if (payload.kind === "raft" && payload.message.kind === "requestVote") return payload.message.lastIndex <= this.raw.membership().index;
    return countsTowardQuorum(payload);
  }

  private onRefused(from: string, reason: string): void {
    if (this.peerWarnings.allow(`refused:${from}`)) this.logger?.error(`member ${from} refuses this node`, { peer: from, reason });
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    // Not a microtask: every request and message read in this I/O turn joins the batch.
    this.scheduler.soon(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  // ------------------------------------------------------------- the loop

  private drain(): void {
    if (this.closed || this.fatal !== undefined || this.draining) return;
    this.draining = true;
    try {
      this.advanceClock();
      this.proposals.submit();
      if (this.reads.hasQueued) this.reads.submit(this.readSource, this.scheduler.now());
      while (this.raw.hasReady()) this.handleReady(this.raw.ready());
      // A received snapshot was either installed by the Readies above or declined by the core.
      this.snapshotReceiver?.discardPending();
      this.snapshotter?.setBlocked(false);
    } catch (error) {
      this.fail(error);
    } finally {
      this.draining = false;
    }
  }

  private handleReady(ready: Ready): void {
    this.send(ready.messages);
    if (ready.snapshot !== undefined) this.installSnapshot(ready.snapshot, ready.hardState ?? this.writtenHardState);
    // Leader appends go out now, not after our fsync: followers persist in parallel with us.
    // Without entries to persist (a commit index moving on), they wait for the transport's
    // own flush at the end of this turn, so the applies and client answers below go first.
    if (ready.messages.length > 0 && ready.entries.length > 0) this.transport.flush();
    const hardState = this.hardStateToWrite(ready);
    const persistStart = this.scheduler.now();
    this.logStore.persist({ hardState, entries: ready.entries });
    const persistEnd = this.scheduler.now();
    if (hardState !== undefined || ready.entries.length > 0) {
      this.ioMeter.recordPersist(persistEnd - persistStart);
      this.observer?.persisted?.(persistEnd - persistStart, ready.entries.length);
    }
    if (hardState !== undefined) this.writtenHardState = hardState;
    this.send(ready.messagesAfterPersist);
    // Acks and votes leave before the apply below, which the leader does not need to wait for.
    if (ready.messagesAfterPersist.length > 0) this.transport.flush();
    if (ready.committedEntries.length > 0) {
      const results = this.stateMachine.applyBatch(ready.committedEntries, (entry) => this.proposals.awaits(entry));
      const applyMs = this.scheduler.now() - persistEnd;
      this.ioMeter.recordApply(applyMs);
      this.observer?.applied?.(applyMs, ready.committedEntries.length);
      this.failpoints?.hit("apply.before-answer");
      this.proposals.settle(ready.committedEntries, results);
    }
    for (const event of ready.events) this.onEvent(event);
    for (const rs of ready.readStates) this.reads.onReadState(rs);
    this.reads.release(this.stateMachine.appliedIndex());
    if (ready.compactLogTo > 0) {
      this.compactor.allow(ready.compactLogTo);
      this.compactor.step(this.stateMachine.appliedIndex());
    }
    this.raw.advance(ready);
    this.addresses.syncPeers();
  }

  private onEvent(event: RaftEvent): void {
    switch (event.kind) {
      case "roleChanged":
      case "leaderChanged":
        this.onLeadershipChange();
        return;
      case "peerLogRegressed":
        this.peerWarnings.warn(`regressed:${event.peer}`, "a follower lacks entries it acknowledged (its log was lost or cut short); probing it back", {
          peer: event.peer,
          acknowledged: event.acknowledged,
          holds: event.holds,
        });
        return;
      case "peerUnreachable":
      case "peerReachable":
      case "leadershipTransferFinished":
      case "nonvoterPromoted":
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown raft event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * The hard state to write with this Ready. A change of the commit index
   * alone is not written on its own: commit is volatile in Raft (a restarted
   * node relearns it from the leader, and never falls below the state
   * machine's applied index, which is durable in its own database), and a
   * transaction just for it would cost an fsync per commit advance. It still
   * rides along whenever term, vote or entries are written.
   */
  private hardStateToWrite(ready: Ready): HardState | undefined {
    const next = ready.hardState;
    if (next === undefined) return undefined;
    const written = this.writtenHardState;
    if (ready.entries.length > 0 || next.term !== written.term || next.vote !== written.vote) return next;
    return undefined;
  }

  // ------------------------------------------------------------- snapshots

  private onSnapshotTaken(index: number, taken: { durationMs: number; bytes: number }): void {
    this.snapshotsTaken++;
    this.observer?.snapshotTaken?.(taken.durationMs, taken.bytes, index);
    if (this.closed || this.fatal !== undefined) return;
    this.raw.snapshotTaken(index);
    this.scheduleDrain();
  }

  /** A snapshot's data arrived and verified: now the core decides whether to install it. */
  private onSnapshotReceived(message: InstallSnapshot): void {
    if (this.closed || this.fatal !== undefined) return;
    this.failpoints?.hit("snapshot.received");
    // No snapshot of our own may start before the install: restoreFrom refuses to run beside one.
    this.snapshotter?.setBlocked(true);
    this.raw.step(message);
    this.scheduleDrain();
  }

  /**
   * Ready step 2 for a snapshot. The log store's one durable step comes
   * first (record, log reset, hard state): from then on a restart finds a
   * log that vouches for the snapshot and restores the state machine from it
   * if this restore did not finish. The other order could leave a state
   * machine ahead of a log that knows nothing of it.
   */
  private installSnapshot(snapshot: RaftSnapshotMeta, hardState: HardState): void {
    const opened = this.snapshotReceiver?.take(snapshot.index, snapshot.term);
    if (opened === undefined) {
      throw new Error(`the core installs snapshot ${snapshot.index} (term ${snapshot.term}) but no such file was received`);
    }
    const written = { ...hardState, commit: Math.max(hardState.commit, snapshot.index) };
    this.failpoints?.hit("snapshot.install.before-log-reset");
    this.logStore.installSnapshot({ index: snapshot.index, term: snapshot.term }, written);
    this.writtenHardState = written;
    this.failpoints?.hit("snapshot.install.after-log-reset");
    this.stateMachine.restoreFrom(opened.path);
    this.snapshotter?.setLatest(opened.meta);
    this.snapshotsInstalled++;
    this.observer?.snapshotInstalled?.(opened.meta.size, snapshot.index);
    this.logger?.info("state machine restored from a received snapshot", { index: snapshot.index, term: snapshot.term });
  }

  private send(messages: readonly Message[]): void {
    const transport = this.transport;
    for (const m of messages) {
      if (m.kind === "installSnapshot" && this.snapshotSender !== undefined) {
        this.snapshotSender.start(m);
        continue;
      }
      if (!transport.send(m.to, encodeRaftMessage(m))) this.raw.reportUnreachable(m.to);
    }
  }

  private onLeadershipChange(): void {
    const leader = this.raw.leader();
    if (leader !== "" && leader !== this.observedLeader) {
      this.observedLeader = leader;
      this.observer?.leaderChanged?.(leader, this.raw.status().term);
    }
    if (this.raw.role() !== "leader") this.snapshotSender?.cancelAll();
    if (this.raw.role() !== "leader") this.proposals.leadershipLost();
    this.reads.requeueInFlight();
    this.scheduleDrain();
  }

  // ------------------------------------------------------------- membership

  private memberOf(id: string): Member | undefined {
    return this.addresses.memberOf(id);
  }

  // ------------------------------------------------------------- failures

  private notLeader(proposed: boolean, detail?: string): RaftNotLeaderError {
    const leader = this.raw.leader();
    const address = this.leaderClientAddress();
    const where = leader === "" ? "no leader is known" : `the leader is ${leader}${address === "" ? "" : ` at ${address}`}`;
    return new RaftNotLeaderError(`node ${this.id} is not the leader: ${detail ?? where}`, leader, address, proposed);
  }

  private fail(error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    this.fatal = cause;
    this.tickTimer.cancel();
    this.logger?.error("raft engine stopped", { error: cause.message });
    for (const listener of this.stopListeners) {
      try {
        listener(cause);
      } catch (listenerError) {
        this.logger?.error("an engine-stopped listener threw", { error: String(listenerError) });
      }
    }
    // A leader sends appends before its own fsync: a write already proposed may still be committed by the followers.
    this.failAll(new EngineError("storage", `the engine stopped: ${cause.message}`, { cause }), `the engine stopped before it was applied (${cause.message})`);
  }

  private failAll(error: EngineError, proposedOutcome: string): void {
    this.proposals.failAll(error, proposedOutcome);
    this.reads.failAll(error);
  }
}
