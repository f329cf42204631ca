import type { AcceptResult } from "../raft/proposal-result.ts";
import type { ReadState } from "../raft/read-state.ts";
import { EngineError } from "./engine-error.ts";
import type { RaftWaiter } from "./waiter.ts";

/** The core's read entry points, as far as reads need them. */
export interface ReadIndexSource {
  readonly id: string;
  /** True when there is no leader to ask (reads wait for one, up to leaderWaitMs). */
  noLeaderKnown(): boolean;
  readonly leaderWaitMs: number;
  readIndex(requestId: string): AcceptResult;
  leaseRead(requestId: string): AcceptResult;
}

interface QueuedRead {
  readonly waiter: RaftWaiter<number>;
  readonly lease: boolean;
}

interface ReadGroup {
  readonly sentAtMs: number;
  readonly lease: boolean;
  readonly waiters: RaftWaiter<number>[];
}

interface IndexedReads {
  readonly index: number;
  readonly waiters: RaftWaiter<number>[];
}

/** How long a read index request may go unanswered before it is asked again (lost message, new leader). */
const READ_RETRY_MS = 1000;

/**
 * Linearizable and lease reads through the core's ReadIndex. Reads queued in
 * one event-loop turn share one request (one quorum round serves them all);
 * once the core answers with an index, they wait until the state machine has
 * applied it. A request that goes unanswered (message lost, leader changed)
 * is asked again, until each read's own deadline.
 */
export class RaftReadWaiters {
  private queued: QueuedRead[] = [];
  private readonly inFlight = new Map<string, ReadGroup>();
  private awaitingApply: IndexedReads[] = [];
  private sequence = 0;

  constructor(
    /**
     * Unique to this process: read request ids restart at 1 in every
     * process, and an answer to an earlier process's request (delayed in the
     * network) must never release a read of this one at a stale index.
     */
    private readonly nonce: string,
  ) {}

  enqueue(waiter: RaftWaiter<number>, lease: boolean): void {
    this.queued.push({ waiter, lease });
  }

  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /** Sends one request for the lease reads and one for the linearizable reads queued since the last call. */
  submit(source: ReadIndexSource, nowMs: number): void {
    const live = this.queued.filter((r) => !r.waiter.settled);
    this.queued = [];
    if (live.length === 0) return;
    if (source.noLeaderKnown()) {
      // An election usually ends within leaderWaitMs; past that, say so rather than wait out the deadline.
      const error = new EngineError("notLeader", `node ${source.id} knows no leader to confirm the read (election in progress or no quorum)`);
      for (const r of live) {
        if (nowMs - r.waiter.startedAtMs > source.leaderWaitMs) r.waiter.reject(error);
        else this.queued.push(r);
      }
      return;
    }
    const lease = live.filter((r) => r.lease).map((r) => r.waiter);
    const linearizable = live.filter((r) => !r.lease).map((r) => r.waiter);
    if (lease.length > 0) this.request(source, lease, true, nowMs);
    if (linearizable.length > 0) this.request(source, linearizable, false, nowMs);
  }

  private request(source: ReadIndexSource, waiters: RaftWaiter<number>[], lease: boolean, nowMs: number): void {
    const requestId = `${source.id}/${this.nonce}/${++this.sequence}`;
    const accepted = lease ? source.leaseRead(requestId) : source.readIndex(requestId);
    if (accepted.ok) {
      this.inFlight.set(requestId, { sentAtMs: nowMs, lease, waiters });
      return;
    }
    if (accepted.refusal.kind === "noLeader") {
      for (const waiter of waiters) this.queued.push({ waiter, lease });
      return;
    }
    const error = new EngineError("notLeader", `read refused: ${accepted.refusal.message}`);
    for (const w of waiters) w.reject(error);
  }

  onReadState(readState: ReadState): void {
    const group = this.inFlight.get(readState.requestId);
    if (group === undefined) return;
    this.inFlight.delete(readState.requestId);
    this.awaitingApply.push({ index: readState.index, waiters: group.waiters });
  }

  /** Reads asked of a previous leader may never be answered: ask again. */
  requeueInFlight(): void {
    for (const group of this.inFlight.values()) for (const waiter of group.waiters) this.queued.push({ waiter, lease: group.lease });
    this.inFlight.clear();
  }

  /** Re-queues requests unanswered for too long; drops groups nobody waits for any more. */
  retryStale(nowMs: number): void {
    for (const [id, group] of this.inFlight) {
      const live = group.waiters.filter((w) => !w.settled);
      if (live.length === 0) {
        this.inFlight.delete(id);
      } else if (nowMs - group.sentAtMs > READ_RETRY_MS) {
        this.inFlight.delete(id);
        for (const waiter of live) this.queued.push({ waiter, lease: group.lease });
      }
    }
  }

  /** Resolves every read whose index the state machine has reached, with the applied index to read at. */
  release(applied: number): void {
    if (this.awaitingApply.length === 0) return;
    const still: IndexedReads[] = [];
    for (const group of this.awaitingApply) {
      if (group.index <= applied) for (const w of group.waiters) w.resolve(applied);
      else still.push(group);
    }
    this.awaitingApply = still;
  }

  failAll(error: EngineError): void {
    for (const r of this.queued) r.waiter.reject(error);
    this.queued = [];
    for (const g of this.inFlight.values()) for (const w of g.waiters) w.reject(error);
    this.inFlight.clear();
    for (const g of this.awaitingApply) for (const w of g.waiters) w.reject(error);
    this.awaitingApply = [];
  }
}
