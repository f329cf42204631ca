import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { spawnSync } from "bun";
import { type ChaosRunReport, chaosOptionsFor, runChaos } from "./chaos-run.ts";
import { defaultBinary } from "./cluster.ts";
import { clusterFaults } from "./fault-kind.ts";
import { RegisterWorkload } from "./register-workload.ts";
import { withPhantomRead, withStaleRead } from "./self-check.ts";
import { setVerdict } from "./set-workload.ts";

// The bounded CI version of the fault-injection suite: three seeded
// schedules of 40 s each against a 3-node cluster of the compiled binary,
// every fault kind in each (kills with crashes during recovery, pauses, torn
// WAL tails, graceful restarts, whole-cluster crashes, partitions, link delay
// and loss; leadership transfer and membership churn once the Cluster service
// is served), then self-checks that feed the checkers corrupted copies of
// the very histories just recorded.
const seeds = [20261130, 7, 1];
// RAFTKV_CHAOS_BINARY points the suite at another build (e.g. a deliberately broken one).
const binary = process.env.RAFTKV_CHAOS_BINARY ?? defaultBinary;
const scheduleMs = 40_000;
const reports: ChaosRunReport[] = [];

beforeAll(() => {
  if (existsSync(binary)) return;
  if (binary !== defaultBinary) throw new Error(`RAFTKV_CHAOS_BINARY=${binary} does not exist`);
  // CI builds dist/raftkv before the tests; a fresh checkout gets it here.
  const built = spawnSync([process.execPath, "build", "--compile", "--minify", "src/cli/main.ts", "--outfile", "dist/raftkv"], {
    cwd: resolve(import.meta.dir, "../.."),
    stderr: "pipe",
  });
  if (built.exitCode !== 0) throw new Error(`building dist/raftkv failed: ${built.stderr.toString()}`);
});

describe.each(seeds)("chaos schedule, seed %d", (seed) => {
  test("3 nodes: no anomaly under crashes, pauses, torn WAL tails, restarts, partitions and bad links; the nodes converge", async () => {
    const report = await runChaos({ ...chaosOptionsFor(3), binary, seed, durationMs: scheduleMs, checkTimeoutMs: 30_000 });
    console.log(report.summary);
    reports.push(report);
    expect(report.anomalies).toEqual([]);
    // The server has every service the suite drives, so nothing may be skipped and every fault kind is injected.
    expect(report.skipped).toEqual([]);
    for (const kind of clusterFaults) expect(report.injectableFaults).toContain(kind);
    for (const kind of report.injectableFaults) expect(report.faults[kind]).toBeGreaterThan(0);
    expect(report.ops.ok).toBeGreaterThan(100);
    expect(report.register.result.kind).toBe("ok");
    expect(report.set?.acknowledged ?? 0).toBeGreaterThan(10);
    expect(report.convergence?.converged).toBe(true);
    expect(report.bank?.reads ?? 0).toBeGreaterThan(0);
    expect(report.watch?.events ?? 0).toBeGreaterThan(0);
  }, 150_000);
});

describe("the checks catch corrupted copies of the recorded histories", () => {
  const recorded = (): ChaosRunReport => {
    const report = reports[0];
    if (report === undefined) throw new Error("no chaos run recorded (the schedules above failed to run)");
    return report;
  };

  test("a stale read spliced into the register history is not linearizable", () => {
    const ops = recorded().registerOps;
    const corrupted = withStaleRead(ops);
    expect(corrupted).toBeDefined();
    const verdict = RegisterWorkload.check(corrupted ?? [], 30_000);
    expect(verdict.result.kind).toBe("illegal");
  });

  test("a read of a value never written is not linearizable", () => {
    const corrupted = withPhantomRead(recorded().registerOps);
    expect(corrupted).toBeDefined();
    expect(RegisterWorkload.check(corrupted ?? [], 30_000).result.kind).toBe("illegal");
  });

  test("an acknowledged add missing from the final read is lost; a stranger is unexpected", () => {
    const report = recorded();
    const finalSet = new Map(report.finalSet ?? []);
    const acked = report.setRecorded.find((r) => r.outcome === "ok");
    expect(acked).toBeDefined();
    finalSet.delete(acked?.input.element ?? "");
    finalSet.set("never-attempted", "never-attempted");
    const verdict = setVerdict(report.setRecorded, finalSet);
    expect(verdict.lost).toContain(acked?.input.element ?? "");
    expect(verdict.unexpected).toContain("never-attempted");
  });
});
