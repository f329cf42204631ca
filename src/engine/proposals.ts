import type { Entry } from "../raft/entry.ts";
import type { Refusal } from "../raft/proposal-result.ts";
import type { RawNode } from "../raft/raw-node.ts";
import type { Applied } from "./applied.ts";
import { EngineError } from "./engine-error.ts";
import { RaftNotLeaderError } from "./not-leader-error.ts";
import type { RaftWaiter } from "./waiter.ts";

interface QueuedProposal<R> {
  readonly data: Uint8Array;
  readonly waiter: RaftWaiter<Applied<R>>;
}

interface ProposedEntry<R> {
  readonly term: number;
  readonly waiter: RaftWaiter<Applied<R>>;
}

/** What the proposal pipeline needs from the engine around it. */
export interface ProposalContext {
  readonly raw: RawNode;
  /** How long a proposal waits for an election to produce a leader before it fails. */
  readonly leaderWaitMs: number;
  now(): number;
  notLeader(proposed: boolean, detail?: string): RaftNotLeaderError;
  leaderClientAddress(): string;
}

const MAX_BATCH_PROPOSALS = 4096;

/**
 * Client proposals from arrival to answer: queued until the next drain,
 * handed to the core in batches (one Ready, one fsync for all of them),
 * tracked by log index, and settled when their entry applies — or rejected
 * when another leader's entry replaced them or leadership was lost.
 */
export class RaftProposals<R> {
  private queued: QueuedProposal<R>[] = [];
  private readonly proposed = new Map<number, ProposedEntry<R>>();

  constructor(private readonly context: ProposalContext) {}

  enqueue(data: Uint8Array, waiter: RaftWaiter<Applied<R>>): void {
    this.queued.push({ data, waiter });
  }

  /** An entry some other path (membership changes, barriers) appended, settled like a proposal's. */
  track(index: number, term: number, waiter: RaftWaiter<Applied<R>>): void {
    this.proposed.set(index, { term, waiter });
  }

  /** Hands queued proposals to the core (or refuses them when this node does not lead). */
  submit(): void {
    if (this.queued.length === 0) return;
    const { raw } = this.context;
    const live = this.queued.filter((p) => !p.waiter.settled);
    this.queued = [];
    if (raw.role() !== "leader") {
      if (raw.leader() === "") {
        // An election usually ends within leaderWaitMs: hide it from callers; past that, fail fast
        // (UNAVAILABLE) rather than wait out the request's deadline, e.g. on a minority side.
        const now = this.context.now();
        const error = this.context.notLeader(false);
        for (const p of live) {
          if (now - p.waiter.startedAtMs > this.context.leaderWaitMs) p.waiter.reject(error);
          else this.queued.push(p);
        }
        return;
      }
      const error = this.context.notLeader(false);
      for (const p of live) p.waiter.reject(error);
      return;
    }
    for (let start = 0; start < live.length; start += MAX_BATCH_PROPOSALS) {
      const batch = live.slice(start, start + MAX_BATCH_PROPOSALS);
      const result = raw.proposeBatch(batch.map((p) => p.data));
      if (!result.ok) {
        this.onRefused(live.slice(start), result.refusal);
        return;
      }
      batch.forEach((p, i) => {
        this.proposed.set(result.index + i, { term: result.term, waiter: p.waiter });
      });
    }
  }

  /** Whether a proposer here awaits the result of this entry (proposed at this index in this term). */
  awaits(entry: Entry): boolean {
    return this.proposed.get(entry.index)?.term === entry.term;
  }

  /** Answers the proposals whose entries were just applied. */
  settle(entries: readonly Entry[], results: readonly R[]): void {
    if (this.proposed.size === 0) return;
    // applyBatch returns results only for entries not applied before (replay skips the rest).
    const offset = entries.length - results.length;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      const pending = this.proposed.get(entry.index);
      if (pending === undefined) continue;
      this.proposed.delete(entry.index);
      const result = results[i - offset];
      if (entry.term !== pending.term) {
        pending.waiter.reject(
          new RaftNotLeaderError(
            `leadership was lost: entry ${entry.index} was replaced by another leader's entry (term ${entry.term}, proposed in term ${pending.term})`,
            this.context.raw.leader(),
            this.context.leaderClientAddress(),
            true,
          ),
        );
      } else if (result === undefined) {
        pending.waiter.reject(new EngineError("storage", `no apply result for entry ${entry.index}`));
      } else {
        pending.waiter.resolve({ index: entry.index, result });
      }
    }
  }

  /** This node stopped leading: every appended-but-unapplied proposal has an unknown outcome. */
  leadershipLost(): void {
    if (this.proposed.size === 0) return;
    const error = new RaftNotLeaderError(
      "leadership was lost before the write was applied; its outcome is unknown",
      this.context.raw.leader(),
      this.context.leaderClientAddress(),
      true,
    );
    for (const p of this.proposed.values()) p.waiter.reject(error);
    this.proposed.clear();
  }

  /**
   * Fails every waiter: those still queued were never proposed (`queuedError`
   * is definite); those already in the log have an unknown outcome, since
   * followers may commit them whatever happens here.
   */
  failAll(queuedError: EngineError, reason: string): void {
    for (const p of this.queued) p.waiter.reject(queuedError);
    this.queued = [];
    for (const [index, p] of this.proposed) {
      p.waiter.reject(new EngineError("outcomeUnknown", `the write was proposed at index ${index} but ${reason}; its outcome is unknown`));
    }
    this.proposed.clear();
  }

  private onRefused(rest: QueuedProposal<R>[], refusal: Refusal): void {
    if (refusal.kind === "transferInProgress" || refusal.kind === "leaderNotReady") {
      // Transient on this leader: retried on the next drain (bounded by each request's deadline).
      this.queued.push(...rest);
      return;
    }
    const error = this.context.notLeader(false, refusal.message);
    for (const p of rest) p.waiter.reject(error);
  }
}
