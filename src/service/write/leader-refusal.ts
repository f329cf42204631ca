import type { Engine } from "../../engine/engine.ts";
import { RaftNotLeaderError } from "../../engine/not-leader-error.ts";

/**
 * The refusal to forward with when this node is not the leader, for calls the
 * leader must answer itself (its clock or its view decides); undefined on the
 * leader.
 */
export function leaderRefusal(engine: Pick<Engine, "status" | "leaderClientAddress">): RaftNotLeaderError | undefined {
  const status = engine.status();
  if (status.role === "leader") return undefined;
  return new RaftNotLeaderError(`node ${status.id} is not the leader (it is ${status.role})`, status.leaderId, engine.leaderClientAddress?.() ?? "", false);
}
