import type { KvStoreView } from "../fsm/kv-store-view.ts";
import type { ApplyResult } from "../fsm/kv-types.ts";
import type { Applied as AppliedResult } from "./applied.ts";

/**
 * How fresh a read must be: linearizable (a ReadIndex round with a quorum;
 * the default), lease (the leader's lease stands in for the round) or stale
 * (whatever this node has applied).
 */
export type ReadConsistency = "linearizable" | "lease" | "stale";

export type EngineRole = "leader" | "follower" | "candidate" | "precandidate" | "learner" | "shutdown";

export interface EngineStatus {
  readonly id: string;
  readonly role: EngineRole;
  readonly term: number;
  /** "" when no leader is known. */
  readonly leaderId: string;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastLogIndex: number;
}

/** What a committed proposal produced once the key-value state machine applied it. */
export type Applied = AppliedResult<ApplyResult>;

/**
 * The contract between the service layer and the Raft engine. A proposal's promise
 * settles only after the entry is durable in the log and applied to the
 * state machine; a read barrier settles only when the local state machine
 * reflects every write acknowledged before the call (per the consistency
 * asked for).
 */
export interface Engine {
  /** Read-only: the engine alone applies entries to the state machine. */
  readonly stateMachine: KvStoreView;
  propose(command: Uint8Array, signal?: AbortSignal): Promise<Applied>;
  /** Resolves with the applied index the caller may read at. */
  readBarrier(consistency: ReadConsistency, signal?: AbortSignal): Promise<number>;
  status(): EngineStatus;
  /** Client address (host:port) of the current leader; "" when unknown. Optional: engines that stand in for the real one in tests have none. */
  leaderClientAddress?(): string;
  close(): Promise<void>;
}
