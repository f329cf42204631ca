import type { KvStateMachine } from "../fsm/kv-state-machine.ts";
import type { Logger } from "../log/logger.ts";
import type { HardState } from "../raft/hard-state.ts";
import type { Member, Membership } from "../raft/membership.ts";
import type { InstallSnapshot, Message } from "../raft/message.ts";
import type { RaftStats } from "../raft/raft-stats.ts";
import { RawNode } from "../raft/raw-node.ts";
import type { Ready } from "../raft/ready.ts";
import type { Role } from "../raft/role.ts";
import type { SnapshotMeta as RaftSnapshotMeta } from "../raft/snapshot-meta.ts";
import type { RaftLogStore } from "../storage/raft-log-store.ts";
import type { PeerTransport } from "../transport/peer-transport.ts";
import { RateLimitedLog } from "../log/rate-limited-log.ts";
import type { Applied, Engine, EngineRole, EngineStatus, ReadConsistency } from "./engine.ts";
import { EngineError } from "./engine-error.ts";
import { decodePeerPayload, encodePeerPayload, encodeRaftMessage } from "./peer-message-codec.ts";
import { RaftAdmin } from "./raft-admin.ts";
import { RaftIoMeter, type RaftIoStats } from "./raft-io-meter.ts";
import { RaftMemberAddresses, type SeedPeer } from "./raft-member-addresses.ts";
import { RaftLogStorage } from "./raft-log-storage.ts";
import type { RaftPeerInbox } from "./raft-peer-inbox.ts";
import { RaftNotLeaderError } from "./raft-not-leader-error.ts";
import { defaultRaftTiming, ticksOf, type RaftTiming } from "./raft-timing.ts";
import { RaftProposals } from "./raft-proposals.ts";
import { RaftReadWaiters, type ReadIndexSource } from "./raft-read-waiters.ts";
import { RaftSnapshotReceiver } from "./raft-snapshot-receiver.ts";
import { RaftSnapshotSender } from "./raft-snapshot-sender.ts";
import { RaftLogCompactor } from "./raft-log-compactor.ts";
import { RaftSnapshotter, type RaftSnapshotOptions } from "./raft-snapshotter.ts";
import { RaftWaiter } from "./raft-waiter.ts";

export interface RaftEngineOptions {
  readonly id: string;
  /** The log must already hold a cluster (see bootstrapLog). */
  readonly logStore: RaftLogStore;
  readonly stateMachine: KvStateMachine;
  /** Listening on the Raft port, created with `inbox.deliver` as its onMessage. */
  readonly transport: PeerTransport;
  readonly inbox: RaftPeerInbox;
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
  /** Injected for tests; Math.random otherwise. */
  readonly random?: () => number;
  /** Snapshots, log compaction and InstallSnapshot; without it the log is never compacted. */
  readonly snapshots?: RaftSnapshotOptions;
}

/** What the engine did with snapshots since it started. */
export interface RaftSnapshotStats {
  readonly taken: number;
  /** Snapshots received from a leader and restored into the state machine. */
  readonly installed: number;
  readonly latestIndex: number;
}

/** How often a member re-checks that the cluster knows its client address. */
const ADVERTISE_EVERY_TICKS = 2;
/** How often the event-loop time spent in SQLite is logged (debug level). */
const IO_REPORT_EVERY_MS = 10_000;
const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;

function engineRoleOf(role: Role): EngineRole {
  switch (role) {
    case "follower":
      return "follower";
    case "preCandidate":
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
 */
export class RaftEngine implements Engine {
  readonly stateMachine: KvStateMachine;
  private readonly ioMeter = new RaftIoMeter();
  private readonly raw: RawNode;
  private readonly logStore: RaftLogStore;
  private readonly logger: Logger | undefined;
  /** A peer can send bad payloads at will: its warnings are rate-limited. */
  private readonly peerWarnings: RateLimitedLog | undefined;
  private readonly requestTimeoutMs: number;
  /** How long a request waits for an election to produce a leader before it fails as not_leader. */
  private readonly leaderWaitMs: number;
  private readonly addresses: RaftMemberAddresses;
  /** Operator API: membership changes, transfer, barrier, verify-leader, snapshot-now, status. */
  readonly admin: RaftAdmin;
  private readonly tickTimer: Timer;
  private readonly transport: PeerTransport;
  private readonly proposals: RaftProposals;
  private readonly reads = new RaftReadWaiters();
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
  private nextTickAtMs = performance.now();
  private writtenHardState: HardState;
  private readonly snapshotter: RaftSnapshotter | undefined;
  private readonly snapshotSender: RaftSnapshotSender | undefined;
  private readonly snapshotReceiver: RaftSnapshotReceiver | undefined;
  private snapshotsTaken = 0;
  private snapshotsInstalled = 0;

  private constructor(options: RaftEngineOptions, raw: RawNode, timing: RaftTiming, snapshotter: RaftSnapshotter | undefined) {
    this.selfId = options.id;
    this.stateMachine = options.stateMachine;
    this.logStore = options.logStore;
    this.compactor = new RaftLogCompactor(options.logStore);
    this.logger = options.logger;
    this.peerWarnings = options.logger === undefined ? undefined : new RateLimitedLog(options.logger, 5, 10_000, () => performance.now());
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
      options.seedPeers ?? [],
      () => this.scheduleDrain(),
      options.logger,
    );
    this.proposals = new RaftProposals({
      raw,
      leaderWaitMs: this.leaderWaitMs,
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
    this.nextTickAtMs = performance.now() + timing.tickMs;
    this.snapshotter = snapshotter;
    if (snapshotter !== undefined) {
      const store = snapshotter.store;
      this.snapshotSender = new RaftSnapshotSender(
        store,
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
      clusterId: options.clusterId ?? "",
      raw,
      tickMs: timing.tickMs,
      timeoutMs: this.requestTimeoutMs,
      refusal: (signal) => this.refuseIfStopped(signal),
      notLeader: (detail) => this.notLeader(false, detail),
      track: (index, term, waiter) => this.proposals.track(index, term, waiter),
      scheduleDrain: () => this.scheduleDrain(),
      status: () => this.status(),
      leaderClientAddress: () => this.leaderClientAddress(),
      readIndex: (signal) => this.readBarrier("linearizable", signal),
      snapshotNow: snapshotter === undefined ? undefined : () => snapshotter.takeNow(),
    });
    this.tickTimer = setInterval(() => this.onTick(), timing.tickMs);
  }

  static start(options: RaftEngineOptions): RaftEngine {
    const timing: RaftTiming = { ...defaultRaftTiming, ...options.timing };
    const ticks = ticksOf(timing);
    // The snapshotter exists before the core (whose storage reads it) and the engine (which it reports to).
    let onSnapshotTaken: (index: number) => void = () => {};
    const snapshotter =
      options.snapshots === undefined
        ? undefined
        : new RaftSnapshotter(options.snapshots, options.stateMachine, (index) => onSnapshotTaken(index), options.logger, options.random ?? Math.random);
    const raw = new RawNode({
      id: options.id,
      storage: new RaftLogStorage(options.logStore, () => snapshotter?.latest()),
      ...(options.snapshots?.trailingLogs === undefined ? {} : { trailingLogs: options.snapshots.trailingLogs }),
      electionTicks: ticks.electionTicks,
      heartbeatTicks: ticks.heartbeatTicks,
      leaseTicks: ticks.leaseTicks,
      checkQuorum: true,
      preVote: true,
      random: options.random ?? Math.random,
      applied: options.stateMachine.appliedIndex(),
    });
    const engine = new RaftEngine(options, raw, timing, snapshotter);
    onSnapshotTaken = (index) => engine.onSnapshotTaken(index);
    options.inbox.attach((from, payload) => engine.onPeerPayload(from, payload));
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
    return { taken: this.snapshotsTaken, installed: this.snapshotsInstalled, latestIndex: this.snapshotter?.latest()?.index ?? 0 };
  }

  /** The addresses this node advertises: where members dial it and where clients reach it. */
  get advertisedAddresses(): { readonly raftAddress: string; readonly clientAddress: string } {
    return { raftAddress: this.addresses.advertisedRaftAddress(), clientAddress: this.addresses.clientAddress };
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
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const membership = this.raw.membership();
      const self = membership.members.find((m) => m.id === this.id);
      if (self?.clientAddress === this.addresses.clientAddress && this.stateMachine.appliedIndex() >= membership.index) return true;
      if (this.closed || this.fatal !== undefined || performance.now() > deadline) return false;
      this.addresses.advertise();
      this.scheduleDrain();
      await Bun.sleep(5);
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

  propose(command: Uint8Array, signal?: AbortSignal): Promise<Applied> {
    const refusal = this.refuseIfStopped(signal);
    if (refusal !== undefined) return Promise.reject(refusal);
    const waiter = new RaftWaiter<Applied>(this.requestTimeoutMs, signal, "proposal");
    this.proposals.enqueue(command, waiter);
    this.scheduleDrain();
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
        const waiter = new RaftWaiter<number>(this.requestTimeoutMs, signal, "read");
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
    clearInterval(this.tickTimer);
    this.failAll(new EngineError("shutdown", "the node is shutting down"));
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
    this.reads.retryStale(performance.now());
    this.reportIo();
    this.snapshotter?.maybeTake(performance.now());
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
    const now = performance.now();
    if (now < this.nextTickAtMs) return;
    const due = Math.floor((now - this.nextTickAtMs) / this.tickMs) + 1;
    this.nextTickAtMs += due * this.tickMs;
    for (let i = Math.min(due, this.maxCatchUpTicks); i > 0; i--) this.raw.tick();
  }

  private lastIoReport = { atMs: performance.now(), stats: this.ioMeter.snapshot() };

  /** Logs how many ms per second the event loop was blocked by persist and apply (bun:sqlite is synchronous). */
  private reportIo(): void {
    const now = performance.now();
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

  private onPeerPayload(from: string, bytes: Uint8Array): void {
    if (this.closed || this.fatal !== undefined) return;
    let payload;
    try {
      payload = decodePeerPayload(bytes);
    } catch (error) {
      this.peerWarnings?.warn(`undecodable:${from}`, "dropped an undecodable peer message", { peer: from, error: String(error) });
      return;
    }
    switch (payload.kind) {
      case "raft":
        if (payload.message.from !== from) {
          this.peerWarnings?.warn(`sender:${from}`, "dropped a peer message whose sender does not match its connection", {
            peer: from,
            claimed: payload.message.from,
          });
          return;
        }
        if (payload.message.kind === "installSnapshot") {
          // Its data comes as chunks; the receiver builds this message once the data verified.
          this.peerWarnings?.warn(`bare-snapshot:${from}`, "dropped an InstallSnapshot message sent without its data", { peer: from });
          return;
        }
        this.raw.step(payload.message);
        break;
      case "clientAddress":
        if (payload.from === from) this.addresses.record(payload.from, payload.clientAddress, payload.raftAddress);
        break;
      case "snapshotChunk":
        if (payload.from !== from || this.snapshotReceiver === undefined) return;
        void this.snapshotReceiver.onChunk(from, payload);
        return;
      case "snapshotAck":
        if (payload.from === from) this.snapshotSender?.onAck(from, payload);
        return;
      default: {
        const unreachable: never = payload;
        throw new Error(`unknown peer payload ${JSON.stringify(unreachable)}`);
      }
    }
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    // setImmediate (not a microtask): every request and message read in this I/O turn joins the batch.
    setImmediate(() => {
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
      if (this.reads.hasQueued) this.reads.submit(this.readSource, performance.now());
      while (this.raw.hasReady()) this.handleReady(this.raw.ready());
      // A received snapshot was either installed by the Readies above or declined by the core.
      this.snapshotter?.setBlocked(false);
    } catch (error) {
      this.fail(error);
    } finally {
      this.draining = false;
    }
  }

  private handleReady(ready: Ready): void {
    this.send(ready.messages);
    if (ready.snapshot !== undefined) this.installSnapshot(ready.snapshot);
    // Leader appends go out now, not after our fsync: followers persist in parallel with us.
    // Without entries to persist (a commit index moving on), they wait for the transport's
    // own flush at the end of this turn, so the applies and client answers below go first.
    if (ready.messages.length > 0 && ready.entries.length > 0) this.transport.flush();
    const hardState = this.hardStateToWrite(ready);
    const persistStart = performance.now();
    this.logStore.persist({ hardState, entries: ready.entries });
    const persistEnd = performance.now();
    if (hardState !== undefined || ready.entries.length > 0) this.ioMeter.recordPersist(persistEnd - persistStart);
    if (hardState !== undefined) this.writtenHardState = hardState;
    this.send(ready.messagesAfterPersist);
    // Acks and votes leave before the apply below, which the leader does not need to wait for.
    if (ready.messagesAfterPersist.length > 0) this.transport.flush();
    if (ready.committedEntries.length > 0) {
      const results = this.stateMachine.applyBatch(ready.committedEntries);
      this.ioMeter.recordApply(performance.now() - persistEnd);
      this.proposals.settle(ready.committedEntries, results);
    }
    for (const event of ready.events) {
      if (event.kind === "roleChanged" || event.kind === "leaderChanged") this.onLeadershipChange();
    }
    for (const rs of ready.readStates) this.reads.onReadState(rs);
    this.reads.release(this.stateMachine.appliedIndex());
    if (ready.compactLogTo > 0) {
      this.compactor.allow(ready.compactLogTo);
      this.compactor.step(this.stateMachine.appliedIndex());
    }
    this.raw.advance(ready);
    this.addresses.syncPeers();
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

  private onSnapshotTaken(index: number): void {
    this.snapshotsTaken++;
    if (this.closed || this.fatal !== undefined) return;
    this.raw.snapshotTaken(index);
    this.scheduleDrain();
  }

  /** A snapshot's data arrived and verified: now the core decides whether to install it. */
  private onSnapshotReceived(message: InstallSnapshot): void {
    if (this.closed || this.fatal !== undefined) return;
    // No snapshot of our own may start before the install: restoreFrom refuses to run beside one.
    this.snapshotter?.setBlocked(true);
    this.raw.step(message);
    this.scheduleDrain();
  }

  /** Ready step 2 for a snapshot: the state machine becomes the snapshot, the log restarts after it. */
  private installSnapshot(snapshot: RaftSnapshotMeta): void {
    const opened = this.snapshotReceiver?.take(snapshot.index, snapshot.term);
    if (opened === undefined) {
      throw new Error(`the core installs snapshot ${snapshot.index} (term ${snapshot.term}) but no such file was received`);
    }
    this.stateMachine.restoreFrom(opened.path);
    this.logStore.resetForSnapshot(snapshot.index, snapshot.term);
    this.snapshotter?.setLatest(opened.meta);
    this.snapshotsInstalled++;
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
    clearInterval(this.tickTimer);
    this.logger?.error("raft engine stopped", { error: cause.message });
    this.failAll(new EngineError("storage", `the engine stopped: ${cause.message}`, { cause }));
  }

  private failAll(error: EngineError): void {
    this.proposals.failAll(error);
    this.reads.failAll(error);
  }
}
