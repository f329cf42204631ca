import type { Applied, Engine } from "../engine/engine.ts";
import { RaftNotLeaderError } from "../engine/raft-not-leader-error.ts";
import { applyRefusalError } from "./apply-refusal.ts";

/*
 * Proposal helpers shared by the Txn, Lease and Compact handlers (the same
 * rules as Put and Delete in kv-service.ts).
 */

/** Proposes a command; a deterministic state machine refusal becomes FailedPrecondition (ResourceExhausted over the quota) with its message. */
export async function proposeCommand(engine: Engine, command: Uint8Array, signal: AbortSignal | undefined): Promise<Applied> {
  const applied = await engine.propose(command, signal);
  if (applied.result.kind === "error") throw applyRefusalError(applied.result);
  return applied;
}

/** A write this node may hand to the leader: refused before it entered any log. */
export function forwardable(error: unknown): error is RaftNotLeaderError {
  return error instanceof RaftNotLeaderError && !error.proposed;
}

/**
 * The refusal to forward with when this node is not the leader, for calls the
 * leader must answer itself (its clock or its view decides); undefined on the
 * leader.
 */
export function leaderRefusal(engine: Engine): RaftNotLeaderError | undefined {
  const status = engine.status();
  if (status.role === "leader") return undefined;
  return new RaftNotLeaderError(
    `node ${status.id} is not the leader (it is ${status.role})`,
    status.leaderId,
    engine.leaderClientAddress?.() ?? "",
    false,
  );
}
