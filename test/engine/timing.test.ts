import { describe, expect, test } from "bun:test";
import { defaultRaftTiming, ticksOf } from "../../src/engine/timing.ts";

describe("ticksOf", () => {
  test("the defaults: a 10-tick election floor, a 5-tick lease", () => {
    expect(ticksOf(defaultRaftTiming)).toEqual({ electionTicks: 10, heartbeatTicks: 1, leaseTicks: 5 });
  });

  test("the longest lease allowed is one tick below the floor", () => {
    expect(ticksOf({ ...defaultRaftTiming, leaderLeaseMs: 999 }).leaseTicks).toBe(9);
  });

  test("a lease equal to the heartbeat timeout is refused, naming both settings and values", () => {
    expect(() => ticksOf({ ...defaultRaftTiming, leaderLeaseMs: 1000 })).toThrow(
      /leaderLeaseMs 1000ms must be strictly below the election timeout floor max\(heartbeatTimeoutMs 1000ms, electionTimeoutMs 1000ms\) = 1000ms/,
    );
  });

  test("a lease above the floor is refused, whichever of the two timeouts sets it", () => {
    expect(() => ticksOf({ ...defaultRaftTiming, heartbeatTimeoutMs: 500, electionTimeoutMs: 2000, leaderLeaseMs: 2500 })).toThrow(/= 2000ms/);
    expect(() => ticksOf({ ...defaultRaftTiming, heartbeatTimeoutMs: 2000, electionTimeoutMs: 500, leaderLeaseMs: 2000 })).toThrow(/= 2000ms/);
  });

  test("a lease below the floor in milliseconds but not in ticks is refused", () => {
    // 1040 ms rounds to a 10-tick floor; a 1020 ms lease is 10 ticks too.
    expect(() => ticksOf({ ...defaultRaftTiming, heartbeatTimeoutMs: 1040, leaderLeaseMs: 1020 })).toThrow(/\(10 vs 10 ticks of 100ms\)/);
  });

  test("a lease shorter than one tick is refused, not rounded up to one", () => {
    expect(() => ticksOf({ ...defaultRaftTiming, leaderLeaseMs: 50 })).toThrow("leaderLeaseMs 50ms is shorter than one raft tick (100ms)");
  });

  test("errors use the caller's names for the settings", () => {
    const flags = { tickMs: "tick", heartbeatTimeoutMs: "--hb", electionTimeoutMs: "--el", leaderLeaseMs: "--lease" } as const;
    expect(() => ticksOf({ ...defaultRaftTiming, leaderLeaseMs: 1000 }, (field) => flags[field])).toThrow(/^--lease 1000ms .* max\(--hb 1000ms, --el 1000ms\)/);
  });

  test("a timing that is not positive is refused", () => {
    expect(() => ticksOf({ ...defaultRaftTiming, heartbeatTimeoutMs: 0 })).toThrow("raft timing heartbeatTimeoutMs must be positive, got 0");
  });
});
