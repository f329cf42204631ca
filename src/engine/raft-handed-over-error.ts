import { RaftNotLeaderError } from "./raft-not-leader-error.ts";

/**
 * This node led, and handed leadership to `leaderId` as the first step of
 * the very call that gets this error (a leader asked to remove itself). The
 * call was not proposed anywhere, and the new leader will not hand over
 * again for it, so sending it on once more cannot loop, even if it was
 * already forwarded here.
 */
export class RaftHandedOverError extends RaftNotLeaderError {
  constructor(message: string, leaderId: string, leaderClientAddress: string) {
    super(message, leaderId, leaderClientAddress, false);
    this.name = "RaftHandedOverError";
  }
}
