import { EngineError } from "./engine-error.ts";

/**
 * A write refused because this node does not lead. `proposed` false means the
 * command never entered any log, so the caller may safely send it to the
 * leader; true means it was appended and leadership was lost before it
 * applied, so its outcome is unknown and retrying elsewhere could apply it
 * twice.
 */
export class RaftNotLeaderError extends EngineError {
  constructor(
    message: string,
    readonly leaderId: string,
    readonly leaderClientAddress: string,
    readonly proposed: boolean,
  ) {
    super("notLeader", message);
    this.name = "RaftNotLeaderError";
  }
}
