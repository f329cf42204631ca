import { describe, expect, test } from "bun:test";
import type { BenchResults, ScenarioResult } from "../../bench/harness/bench-results.ts";
import { checkGoals } from "../../bench/harness/goal-check.ts";
import { markdownReport } from "../../bench/harness/markdown-report.ts";
import { throughputLatencyChart } from "../../bench/harness/svg-chart.ts";
import type { LoadResult, TargetSystem } from "../../src/bench/index.ts";

function load(throughput: number, p99Ms: number): LoadResult {
  return {
    workload: "put",
    mode: "100 in flight",
    succeeded: throughput,
    errors: 0,
    errorKinds: {},
    skipped: 0,
    elapsedSeconds: 1,
    throughput,
    latency: { count: throughput, meanMs: p99Ms / 2, p50Ms: p99Ms / 4, p90Ms: p99Ms / 2, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3 },
    clientCpuSeconds: 0.1,
    acknowledgedWrites: throughput,
  };
}

function scenario(id: string, inFlight: number, raftkv: LoadResult, etcd: LoadResult): ScenarioResult {
  const run = (system: TargetSystem, result: LoadResult) => ({ system, load: result, server: [], loadAverage1m: 1.5 });
  return {
    id,
    title: id,
    mode: `${inFlight} in flight`,
    inFlight,
    series: id.startsWith("put-256-") ? "put-in-flight" : undefined,
    valueSize: 256,
    runs: [run("raftkv", raftkv), run("etcd", etcd)],
  };
}

const verification = { keysChecked: 10, acknowledgedWrites: 20, lost: [] };

const results: BenchResults = {
  plan: "smoke",
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:01:00.000Z",
  command: "npm run bench -- --vs etcd",
  clientLibrary: "http2",
  machine: {
    cores: 2,
    cpuModel: "cpu",
    memoryBytes: 1 << 30,
    kernel: "6",
    os: "Linux",
    bun: "1",
    etcd: "etcd 3.4.23",
    h2load: "h2load",
    raftkv: "0.1.0",
    raftkvBuiltAt: "2026-01-01T00:00:00.000Z",
    gitCommit: "abc",
  },
  loadAverage: { start: 1, end: 2 },
  systems: [
    { system: "raftkv", nodes: 1, peakRssBytes: { n1: 50 << 20 }, cpuSeconds: { n1: 3 }, lostWrites: 0, verification },
    { system: "etcd", nodes: 1, peakRssBytes: { e1: 100 << 20 }, cpuSeconds: { e1: 4 }, lostWrites: 0, verification },
  ],
  scenarios: [
    scenario("put-256-16", 16, load(2000, 10), load(1000, 20)),
    scenario("put-256-100", 100, load(3000, 30), load(4000, 20)),
    scenario("put-256-1000", 1000, load(5000, 300), load(5000, 200)),
    scenario("get-linearizable-100", 100, load(6000, 10), load(2000, 10)),
    scenario("get-stale-100", 100, load(7000, 10), load(3000, 10)),
  ],
  h2load: [],
  failures: [],
};

describe("reports", () => {
  test("goals compare raftkv with etcd in the direction each goal asks", () => {
    const goals = new Map(checkGoals(results).map((g) => [g.goal, g]));
    expect(goals.get("Put throughput at 16 in flight (raftkv bench)")?.ratio).toBe(2);
    expect(goals.get("Put throughput at 16 in flight (raftkv bench)")?.met).toBe(true);
    expect(goals.get("Put throughput at 100 in flight (raftkv bench)")?.met).toBe(false);
    expect(goals.get("Put p99 at 100 in flight")?.ratio).toBe(1.5);
    expect(goals.get("Put p99 at 100 in flight")?.met).toBe(false);
    // Stale reads are held against etcd's linearizable reads, at 3×.
    expect(goals.get("Stale Get vs etcd's linearizable Get")?.ratio).toBe(3.5);
    expect(goals.get("Stale Get vs etcd's linearizable Get")?.met).toBe(true);
    expect(goals.get("Peak RSS per node")?.met).toBe(true);
    expect(goals.get("Put throughput at 100 in flight (h2load)")?.met).toBeUndefined();
  });

  test("the markdown table has one row per workload with the raftkv ÷ etcd ratio", () => {
    const markdown = markdownReport(results, "chart.svg");
    expect(markdown).toContain("| put-256-16 | 16 in flight | 2,000 | 1,000 | 2.00× |");
    expect(markdown).toContain("| get-linearizable-100 | 100 in flight | 6,000 | 2,000 | 3.00× |");
    expect(markdown).toContain("Result: no acknowledged write lost.");
    expect(markdown).toContain("![throughput vs p99 latency](chart.svg)");
  });

  test("the chart draws one p99 line per system through the put in-flight levels", () => {
    const svg = throughputLatencyChart(results);
    expect(svg).toStartWith("<svg");
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain("raftkv p99 (raftkv bench)");
    expect(svg).toContain("etcd p99 (raftkv bench)");
    expect(svg.match(/<circle /g)).toHaveLength(6);
  });
});
