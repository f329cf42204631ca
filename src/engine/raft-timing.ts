/**
 * Wall-clock knobs in hashicorp/raft's meanings, mapped to the core's ticks.
 *
 * One tick is `tickMs` (default 100 ms). A follower that hears nothing from a
 * leader for `heartbeatTimeoutMs` campaigns, so the core's electionTicks is
 * heartbeatTimeoutMs / tickMs (the core randomizes within [1x, 2x)); the
 * leader heartbeats every tick, a tenth of the heartbeat timeout, as hashicorp
 * does. hashicorp's separate candidate election timeout has no equivalent in
 * an etcd-style core: the same randomized timeout restarts a stalled election,
 * so electionTimeoutMs only raises the floor when it exceeds the heartbeat
 * timeout. The leader lease becomes leaseTicks (lease reads), kept below
 * electionTicks as the core requires.
 */
export interface RaftTiming {
  readonly tickMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly electionTimeoutMs: number;
  readonly leaderLeaseMs: number;
}

export const defaultRaftTiming: RaftTiming = {
  tickMs: 100,
  heartbeatTimeoutMs: 1000,
  electionTimeoutMs: 1000,
  leaderLeaseMs: 500,
};

export interface RaftTicks {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly leaseTicks: number;
}

export function ticksOf(timing: RaftTiming): RaftTicks {
  for (const [name, value] of Object.entries(timing)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`raft timing ${name} must be positive, got ${value}`);
  }
  const electionTicks = Math.max(2, Math.round(Math.max(timing.heartbeatTimeoutMs, timing.electionTimeoutMs) / timing.tickMs));
  const heartbeatTicks = 1;
  const leaseTicks = Math.min(electionTicks - 1, Math.max(1, Math.floor(timing.leaderLeaseMs / timing.tickMs)));
  return { electionTicks, heartbeatTicks, leaseTicks };
}
