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
 * timeout. The leader lease becomes leaseTicks (lease reads). A lease at or
 * above the election floor, or shorter than one tick, is refused rather than
 * clamped: a clamped lease would silently differ from what the operator set,
 * and at the floor a deposed leader could still serve lease reads after a new
 * leader was elected.
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

/** How a setting is named in errors: the field by default, a flag for the CLI. */
export type RaftTimingLabel = (field: keyof RaftTiming) => string;

/** Converts the timings to ticks; throws a RangeError naming the settings and their values when they cannot be honoured. */
export function ticksOf(timing: RaftTiming, label: RaftTimingLabel = (field) => field): RaftTicks {
  for (const [name, value] of Object.entries(timing)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`raft timing ${label(name as keyof RaftTiming)} must be positive, got ${value}`);
  }
  const floorMs = Math.max(timing.heartbeatTimeoutMs, timing.electionTimeoutMs);
  const electionTicks = Math.max(2, Math.round(floorMs / timing.tickMs));
  const heartbeatTicks = 1;
  // Rounded down: a lease may end early, never late.
  const leaseTicks = Math.floor(timing.leaderLeaseMs / timing.tickMs);
  const lease = `${label("leaderLeaseMs")} ${timing.leaderLeaseMs}ms`;
  if (leaseTicks < 1) {
    throw new RangeError(`${lease} is shorter than one raft tick (${timing.tickMs}ms); the lease is counted in whole ticks`);
  }
  // Both in milliseconds and in ticks: rounding the floor to ticks can bring it down to the lease.
  if (timing.leaderLeaseMs >= floorMs || leaseTicks >= electionTicks) {
    const floor = `max(${label("heartbeatTimeoutMs")} ${timing.heartbeatTimeoutMs}ms, ${label("electionTimeoutMs")} ${timing.electionTimeoutMs}ms)`;
    throw new RangeError(
      `${lease} must be strictly below the election timeout floor ${floor} = ${floorMs}ms ` +
        `(${leaseTicks} vs ${electionTicks} ticks of ${timing.tickMs}ms), or a deposed leader could serve lease reads after a new leader is elected`,
    );
  }
  return { electionTicks, heartbeatTicks, leaseTicks };
}
