import { describe, expect, test } from "bun:test";
import { AckLog, type LoadOptions, runLoad, verifyAcknowledgedWrites } from "../../src/bench/index.ts";
import { MemoryKvTarget } from "./memory-kv-target.ts";

function options(overrides: Partial<LoadOptions>): LoadOptions {
  return {
    workload: { kind: "put", keys: "random" },
    mode: { kind: "closed", inFlight: 16 },
    requests: 400,
    keyPrefix: "t/",
    keySpaceSize: 50,
    valueSize: 64,
    seed: 7,
    ...overrides,
  };
}

describe("load runner", () => {
  test("closed loop sends exactly the requested count and every acknowledged write verifies", async () => {
    const target = new MemoryKvTarget();
    const ackLog = new AckLog();
    const result = await runLoad(target, options({}), ackLog);
    expect(result.succeeded).toBe(400);
    expect(result.errors).toBe(0);
    expect(result.acknowledgedWrites).toBe(400);
    expect(result.latency.count).toBe(400);
    expect(result.latency.p50Ms).toBeLessThanOrEqual(result.latency.p99Ms);
    const verification = await verifyAcknowledgedWrites(target, ackLog, ["t/"], 64 * 10);
    expect(verification.lost).toEqual([]);
    expect(verification.keysChecked).toBe(target.stored.size);
    expect(verification.acknowledgedWrites).toBe(400);
  });

  test("a store that drops an acknowledged write is caught", async () => {
    const target = new MemoryKvTarget({ dropWritesTo: "t/00000003" });
    const ackLog = new AckLog();
    await runLoad(target, options({ workload: { kind: "put", keys: "sequential" }, requests: 50 }), ackLog);
    const verification = await verifyAcknowledgedWrites(target, ackLog, ["t/"]);
    expect(verification.lost.map((l) => l.key)).toEqual(["t/00000003"]);
    expect(verification.lost[0]?.reason).toContain("missing");
  });

  test("a value older than a later acknowledged write counts as lost", async () => {
    const target = new MemoryKvTarget();
    const ackLog = new AckLog();
    const run = options({ workload: { kind: "put", keys: "sequential" }, mode: { kind: "closed", inFlight: 1 }, requests: 20, keySpaceSize: 10 });
    const firstPass = await runLoad(target, { ...run, requests: 10 }, ackLog);
    expect(firstPass.acknowledgedWrites).toBe(10);
    const snapshot = target.stored.get("t/00000004");
    await runLoad(target, { ...run, requests: 10 }, ackLog);
    if (snapshot === undefined) throw new Error("first pass stored nothing for t/00000004");
    // Roll one key back to its first value, as a store that lost the second write would.
    target.stored.set("t/00000004", snapshot);
    const verification = await verifyAcknowledgedWrites(target, ackLog, ["t/"]);
    expect(verification.lost).toHaveLength(1);
    expect(verification.lost[0]?.reason).toContain("stale");
  });

  test("failed requests are counted by kind and their writes are not required to be visible", async () => {
    const target = new MemoryKvTarget({ failEvery: 4 });
    const ackLog = new AckLog();
    const result = await runLoad(target, options({ requests: 100 }), ackLog);
    expect(result.errors).toBe(25);
    expect(result.succeeded).toBe(75);
    expect(result.errorKinds).toEqual({ Error: 25 });
    const verification = await verifyAcknowledgedWrites(target, ackLog, ["t/"]);
    expect(verification.lost).toEqual([]);
  });

  test("reads, mixes and ranges run against a filled key space", async () => {
    const target = new MemoryKvTarget();
    const ackLog = new AckLog();
    await runLoad(target, options({ workload: { kind: "put", keys: "sequential" }, requests: 200, keySpaceSize: 200 }), ackLog);
    for (const workload of [
      { kind: "get", read: "linearizable" },
      { kind: "get", read: "stale" },
      { kind: "mixed", readRatio: 0.9, read: "linearizable" },
      { kind: "range", count: 100, read: "linearizable" },
    ] as const) {
      const result = await runLoad(target, options({ workload, requests: 100, keySpaceSize: 200 }), ackLog);
      expect(result.succeeded).toBe(100);
      expect(result.errors).toBe(0);
    }
    const verification = await verifyAcknowledgedWrites(target, ackLog, ["t/"]);
    expect(verification.lost).toEqual([]);
  });

  test("open loop sends the scheduled requests and measures from the schedule", async () => {
    const target = new MemoryKvTarget();
    const ackLog = new AckLog();
    const result = await runLoad(target, options({ mode: { kind: "open", ratePerSecond: 2000, maxInFlight: 100 }, requests: 100 }), ackLog);
    expect(result.succeeded + result.skipped).toBe(100);
    expect(result.errors).toBe(0);
    expect(result.mode).toBe("open loop 2000/s");
  });

  test("a run without a request count or a duration is refused", () => {
    expect(() => runLoad(new MemoryKvTarget(), options({ requests: undefined }), new AckLog())).toThrow("a load run needs a request count or a duration");
  });
});
