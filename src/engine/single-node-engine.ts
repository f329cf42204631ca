import type { Entry } from "../raft/entry.ts";
import type { KvStateMachine } from "../fsm/kv-state-machine.ts";
import type { RaftLogStore } from "../storage/raft-log-store.ts";
import type { Applied, Engine, EngineStatus, ReadConsistency } from "./engine.ts";
import { EngineError } from "./engine-error.ts";

interface PendingProposal {
  readonly data: Uint8Array;
  readonly resolve: (applied: Applied) => void;
  readonly reject: (error: Error) => void;
}

export interface SingleNodeEngineOptions {
  readonly id: string;
  readonly logStore: RaftLogStore;
  readonly stateMachine: KvStateMachine;
  /** Upper bound of entries written in one transaction (one fsync). */
  readonly maxBatchEntries?: number;
}

/**
 * A one-member cluster without Raft: the log is still the source of truth, so
 * the storage and apply path are the ones the Raft engine will use.
 *
 * Group commit: proposals that arrive while the loop is busy are queued and
 * written together on the next turn (one transaction, one fsync), then
 * applied to the state machine in one transaction, then acknowledged. A
 * restart replays whatever the log holds beyond the state machine's applied
 * index, so a crash between the two writes loses nothing.
 */
export class SingleNodeEngine implements Engine {
  readonly stateMachine: KvStateMachine;
  private readonly id: string;
  private readonly logStore: RaftLogStore;
  private readonly maxBatchEntries: number;
  private readonly term: number;
  private queue: PendingProposal[] = [];
  private flushScheduled = false;
  private closed = false;

  private constructor(options: SingleNodeEngineOptions, term: number) {
    this.id = options.id;
    this.logStore = options.logStore;
    this.stateMachine = options.stateMachine;
    this.maxBatchEntries = options.maxBatchEntries ?? 1024;
    this.term = term;
  }

  /** Opens the engine, replaying log entries the state machine has not applied. */
  static open(options: SingleNodeEngineOptions): SingleNodeEngine {
    const { logStore, stateMachine } = options;
    let hardState = logStore.hardState();
    if (hardState.term === 0) {
      // A fresh node elects itself: term 1, its own vote, made durable once.
      hardState = { term: 1, vote: options.id, commit: 0 };
      logStore.setHardState(hardState);
    }
    const engine = new SingleNodeEngine(options, hardState.term);
    engine.replay();
    return engine;
  }

  private replay(): void {
    const last = this.logStore.lastIndex();
    let next = Math.max(this.stateMachine.appliedIndex() + 1, this.logStore.firstIndex());
    while (next <= last) {
      const hi = Math.min(last + 1, next + this.maxBatchEntries);
      const entries = this.logStore.entries(next, hi);
      if (entries.length === 0) break;
      this.stateMachine.applyBatch(entries);
      next += entries.length;
    }
  }

  propose(command: Uint8Array, signal?: AbortSignal): Promise<Applied> {
    if (this.closed) return Promise.reject(new EngineError("shutdown", "the node is shutting down"));
    if (signal?.aborted) return Promise.reject(new EngineError("aborted", "the request was cancelled before it was proposed"));
    return new Promise<Applied>((resolve, reject) => {
      this.queue.push({ data: command, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate (not a microtask) so every request read in this I/O turn joins the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchEntries);
      this.commitBatch(batch);
    }
  }

  private commitBatch(batch: readonly PendingProposal[]): void {
    const first = this.logStore.lastIndex() + 1;
    const entries: Entry[] = batch.map((p, i) => ({
      index: first + i,
      term: this.term,
      kind: "normal",
      data: p.data,
    }));
    try {
      this.logStore.append(entries);
    } catch (cause) {
      const error = new EngineError("storage", `log append of ${entries.length} entries at index ${first} failed`, { cause });
      for (const p of batch) p.reject(error);
      return;
    }
    let results;
    try {
      results = this.stateMachine.applyBatch(entries);
    } catch (cause) {
      // The entries are durable: a restart re-applies them. Callers cannot know the outcome.
      const error = new EngineError("storage", `applying entries ${first}..${first + entries.length - 1} failed`, { cause });
      for (const p of batch) p.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const result = results[i];
      const proposal = batch[i];
      if (proposal === undefined) continue;
      if (result === undefined) {
        proposal.reject(new EngineError("storage", `no apply result for index ${first + i}`));
        continue;
      }
      proposal.resolve({ index: first + i, result });
    }
  }

  readBarrier(_consistency: ReadConsistency, signal?: AbortSignal): Promise<number> {
    if (this.closed) return Promise.reject(new EngineError("shutdown", "the node is shutting down"));
    if (signal?.aborted) return Promise.reject(new EngineError("aborted", "the request was cancelled"));
    // One member is its own quorum and applies every entry before acknowledging
    // it, so the applied index already covers every acknowledged write.
    return Promise.resolve(this.stateMachine.appliedIndex());
  }

  status(): EngineStatus {
    const applied = this.stateMachine.appliedIndex();
    return {
      id: this.id,
      role: this.closed ? "shutdown" : "leader",
      term: this.term,
      leaderId: this.closed ? "" : this.id,
      commitIndex: applied,
      appliedIndex: applied,
      lastLogIndex: this.logStore.lastIndex(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Write what is queued: those callers are waiting for an answer.
    this.flush();
    this.closed = true;
  }
}
