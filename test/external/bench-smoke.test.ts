import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BenchResults } from "../../bench/harness/bench-results.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BINARY = join(ROOT, "dist/raftkv");

// The whole harness in smoke mode: raftkv (compiled) and etcd, every
// workload, h2load, verification, and the three output files.
describe("bench/run.ts --smoke", () => {
  let outDir = "";
  let exitCode: number | null = null;
  let output = "";

  beforeAll(async () => {
    if (!existsSync(BINARY)) {
      const build = Bun.spawnSync(["npm", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      if (build.exitCode !== 0) throw new Error(`npm run build failed:\n${build.stderr.toString()}`);
    }
    outDir = tempDir("bench-smoke");
    const run = Bun.spawn([process.execPath, "bench/run.ts", "--vs", "etcd", "--smoke", "--out", outDir], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()]);
    exitCode = await run.exited;
    output = stdout + stderr;
  }, 150_000);

  afterAll(() => {
    if (outDir !== "") removeDir(outDir);
  });

  test("the run succeeds and writes results.md, results.json and chart.svg", () => {
    expect({ exitCode, output: exitCode === 0 ? "" : output }).toEqual({ exitCode: 0, output: "" });
    for (const file of ["results.md", "results.json", "chart.svg"]) expect(existsSync(join(outDir, file))).toBe(true);
    expect(readFileSync(join(outDir, "chart.svg"), "utf8")).toStartWith("<svg");
    const markdown = readFileSync(join(outDir, "results.md"), "utf8");
    expect(markdown).toContain("| Put 256 B | 100 in flight |");
    expect(markdown).toContain("no acknowledged write lost");
  });

  test("every workload and every h2load level produced figures for both systems", () => {
    const results = JSON.parse(readFileSync(join(outDir, "results.json"), "utf8")) as BenchResults;
    expect(results.plan).toBe("smoke");
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.scenarios.length).toBeGreaterThanOrEqual(10);
    for (const scenario of results.scenarios) {
      expect(scenario.runs.map((r) => r.system).sort()).toEqual(["etcd", "raftkv"]);
      for (const run of scenario.runs) {
        expect(run.load.succeeded).toBeGreaterThan(0);
        expect(run.load.throughput).toBeGreaterThan(0);
      }
    }
    expect(results.h2load.filter((r) => r.system === "raftkv").map((r) => r.h2load.inFlight)).toEqual([1, 16, 100, 1000]);
    expect(results.h2load.filter((r) => r.system === "etcd").map((r) => r.h2load.inFlight)).toEqual([1, 16, 100, 1000]);
  });

  test("no acknowledged write was lost on either system", () => {
    const results = JSON.parse(readFileSync(join(outDir, "results.json"), "utf8")) as BenchResults;
    expect(results.failures).toEqual([]);
    expect(results.systems.map((s) => s.system).sort()).toEqual(["etcd", "raftkv"]);
    for (const system of results.systems) {
      expect(system.lostWrites).toBe(0);
      expect(system.verification.acknowledgedWrites).toBeGreaterThan(1000);
      for (const rss of Object.values(system.peakRssBytes)) expect(rss).toBeGreaterThan(0);
    }
  });
});
