import { defaultRaftTiming, type RaftTiming, ticksOf } from "../engine/timing.ts";

const flagOf: Readonly<Record<keyof RaftTiming, string>> = {
  tickMs: "raft tick",
  heartbeatTimeoutMs: "--heartbeat-timeout",
  electionTimeoutMs: "--election-timeout",
  leaderLeaseMs: "--leader-lease-timeout",
};

/**
 * Refuses timings the engine could not honour before the node opens its data
 * dir, naming the flags rather than the engine's fields.
 */
export function checkRaftTimingFlags(timing: Partial<RaftTiming>): void {
  ticksOf({ ...defaultRaftTiming, ...timing }, (field) => flagOf[field]);
}
