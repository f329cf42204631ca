import { writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import {
  AckLog,
  type ClientLibrary,
  describeMode,
  type KvTarget,
  openTarget,
  runLoad,
  type TargetSystem,
  verifyAcknowledgedWrites,
} from "../../src/bench/index.ts";
import { removeDir, tempDir } from "../../test/support/temp-dir.ts";
import type { BenchPlan, H2loadLevel, Scenario } from "./bench-plan.ts";
import type { BenchResults, H2loadRun, ScenarioResult, ScenarioRun, SystemSummary } from "./bench-results.ts";
import type { Cluster } from "./cluster.ts";
import { startEtcdCluster } from "./etcd-cluster.ts";
import { H2LOAD_KEY, putBody, putPath } from "./grpc-put-body.ts";
import { runH2load } from "./h2load.ts";
import { describeMachine } from "./machine-info.ts";
import { readProcStats } from "./proc-stats.ts";
import { startRaftkvCluster } from "./raftkv-cluster.ts";
import { ResourceMonitor } from "./resource-monitor.ts";

export interface BenchSessionOptions {
  plan: BenchPlan;
  systems: readonly TargetSystem[];
  raftkvNodes: number;
  etcdNodes: number;
  raftkvBinary: string;
  etcdBinary: string;
  h2loadBinary: string;
  /** Skip the h2load levels (e.g. when h2load is not installed). */
  h2load: boolean;
  client: ClientLibrary;
  command: string;
  keepData: boolean;
  log: (line: string) => void;
}

interface SystemUnderTest {
  readonly system: TargetSystem;
  readonly cluster: Cluster;
  readonly monitor: ResourceMonitor;
  readonly ackLog: AckLog;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * One benchmark session: starts every system, runs each scenario against
 * each system in alternation (the order flips every row so neither system
 * always runs on a warmer machine), then h2load, then reads every
 * acknowledged write back, and tears everything down by PID.
 */
export async function runBenchSession(options: BenchSessionOptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0] ?? 0;
  const workDir = tempDir("bench");
  const started: SystemUnderTest[] = [];
  try {
    for (const system of options.systems) {
      options.log(`starting ${system}…`);
      const cluster = await startCluster(system, options, join(workDir, system));
      started.push({
        system,
        cluster,
        monitor: new ResourceMonitor(cluster.nodes.map((n) => ({ nodeId: n.id, pid: n.process.pid }))),
        ackLog: new AckLog(),
      });
    }
    const scenarios: ScenarioResult[] = [];
    for (const [index, scenario] of options.plan.scenarios.entries()) {
      const runs: ScenarioRun[] = [];
      for (const sut of alternate(started, index)) {
        runs.push(await runScenario(sut, scenario, index + 1, options));
        const load = runs.at(-1)?.load;
        if (load !== undefined) {
          options.log(
            `${sut.system.padEnd(6)} ${scenario.id.padEnd(22)} ${load.throughput.toFixed(0).padStart(6)} req/s  p99 ${load.latency.p99Ms} ms  errors ${load.errors}`,
          );
        }
      }
      scenarios.push({
        id: scenario.id,
        title: scenario.title,
        mode: describeMode(scenario.mode),
        inFlight: scenario.mode.kind === "closed" ? scenario.mode.inFlight : undefined,
        series: scenario.series,
        valueSize: scenario.valueSize,
        runs,
      });
    }
    const h2loadRuns: H2loadRun[] = [];
    if (options.h2load) {
      for (const [index, level] of options.plan.h2load.entries()) {
        for (const sut of alternate(started, index)) {
          const run = await runH2loadLevel(sut, level, options, workDir);
          h2loadRuns.push(run);
          options.log(
            `${sut.system.padEnd(6)} h2load ${String(run.h2load.inFlight).padStart(4)} in flight ${run.h2load.throughput.toFixed(0).padStart(6)} req/s  mean ${run.h2load.meanMs} ms  applied ${run.appliedWrites}/${run.h2load.succeeded}`,
          );
        }
      }
    }
    const systems: SystemSummary[] = [];
    const failures: string[] = [];
    for (const sut of started) {
      const summary = await summarize(sut, options);
      systems.push(summary);
      const lost = summary.lostWrites;
      if (lost > 0) failures.push(`${sut.system} lost ${lost} acknowledged writes`);
      options.log(`${sut.system}: ${summary.verification.acknowledgedWrites} acknowledged writes, ${lost} lost`);
    }
    return {
      plan: options.plan.name,
      startedAt,
      finishedAt: new Date().toISOString(),
      command: options.command,
      clientLibrary: options.client,
      machine: describeMachine({
        etcd: options.etcdBinary,
        h2load: options.h2loadBinary,
        raftkv: options.systems.includes("raftkv") ? options.raftkvBinary : undefined,
      }),
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? 0 },
      systems,
      scenarios,
      h2load: h2loadRuns,
      failures,
    };
  } finally {
    await Promise.all(started.map((sut) => sut.cluster.stop()));
    if (!options.keepData) removeDir(workDir);
    else options.log(`data kept in ${workDir}`);
  }
}

function startCluster(system: TargetSystem, options: BenchSessionOptions, workDir: string): Promise<Cluster> {
  switch (system) {
    case "raftkv":
      return startRaftkvCluster({ size: options.raftkvNodes, workDir, binary: options.raftkvBinary });
    case "etcd":
      return startEtcdCluster({ size: options.etcdNodes, workDir, binary: options.etcdBinary });
    default: {
      const unknown: never = system;
      throw new Error(`unknown system ${String(unknown)}`);
    }
  }
}

/** Even rows run in the given order, odd rows reversed. */
function alternate<T>(items: readonly T[], row: number): T[] {
  return row % 2 === 0 ? [...items] : [...items].reverse();
}

/** Request bodies from this size on get a connection per request in flight (see connectionsFor). */
const LARGE_VALUE_BYTES = 16 * 1024;

/**
 * About 100 streams per HTTP/2 connection, as h2load's levels use. Large
 * request bodies are the exception: Bun's HTTP/2 client starves streams that
 * wait for a flow-control window update while other large bodies share the
 * connection (p90 of seconds at 64 KiB × 100 in flight against either
 * server's 64 KiB default window; h2load does not), so each request in
 * flight gets its own connection and the server is what gets measured.
 */
function connectionsFor(inFlight: number, valueSize: number): number {
  if (valueSize >= LARGE_VALUE_BYTES) return Math.min(100, Math.max(1, inFlight));
  return Math.min(20, Math.max(1, Math.ceil(inFlight / 100)));
}

function targetFor(sut: SystemUnderTest, options: BenchSessionOptions, inFlight: number, valueSize = 0): KvTarget {
  return openTarget({
    system: sut.system,
    endpoint: sut.cluster.endpoint,
    client: options.client,
    connections: connectionsFor(inFlight, valueSize),
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
}

async function runScenario(sut: SystemUnderTest, scenario: Scenario, seed: number, options: BenchSessionOptions): Promise<ScenarioRun> {
  const inFlight = scenario.mode.kind === "closed" ? scenario.mode.inFlight : 100;
  const target = targetFor(sut, options, inFlight, scenario.valueSize);
  try {
    sut.monitor.begin();
    const load = await runLoad(
      target,
      {
        workload: scenario.workload,
        mode: scenario.mode,
        requests: scenario.requests,
        durationMs: scenario.durationMs,
        keyPrefix: scenario.keyPrefix,
        keySpaceSize: scenario.keySpaceSize,
        valueSize: scenario.valueSize,
        seed,
      },
      sut.ackLog,
    );
    return { system: sut.system, load, server: sut.monitor.end(), loadAverage1m: os.loadavg()[0] ?? 0 };
  } finally {
    target.close();
  }
}

async function runH2loadLevel(sut: SystemUnderTest, level: H2loadLevel, options: BenchSessionOptions, workDir: string): Promise<H2loadRun> {
  const bodyFile = join(workDir, `${sut.system}-put.bin`);
  writeFileSync(bodyFile, putBody(sut.system, 256));
  const probe = targetFor(sut, options, 1);
  try {
    const before = await probe.revision();
    sut.monitor.begin();
    const h2load = await runH2load({
      binary: options.h2loadBinary,
      url: `http://${sut.cluster.endpoint}${putPath(sut.system)}`,
      bodyFile,
      requests: level.requests,
      clients: level.clients,
      streamsPerClient: level.streamsPerClient,
    });
    const server = sut.monitor.end();
    const after = await probe.revision();
    return { system: sut.system, h2load, appliedWrites: after - before, server };
  } finally {
    probe.close();
  }
}

async function summarize(sut: SystemUnderTest, options: BenchSessionOptions): Promise<SystemSummary> {
  const target = targetFor(sut, options, 1);
  try {
    const verification = await verifyAcknowledgedWrites(target, sut.ackLog, options.plan.prefixes);
    const lost = [...verification.lost];
    if (options.h2load && options.plan.h2load.length > 0) {
      // h2load writes one key with one constant value: it must be there.
      const value = await target.get(new TextEncoder().encode(H2LOAD_KEY), "linearizable");
      if (value === undefined || value.length !== 256) lost.push({ key: H2LOAD_KEY, reason: "h2load's key is missing or wrong" });
    }
    const peakRssBytes: Record<string, number> = {};
    const cpuSeconds: Record<string, number> = {};
    for (const node of sut.cluster.nodes) {
      const stats = readProcStats(node.process.pid);
      peakRssBytes[node.id] = stats?.peakRssBytes ?? 0;
      cpuSeconds[node.id] = stats?.cpuSeconds ?? 0;
    }
    return {
      system: sut.system,
      nodes: sut.cluster.nodes.length,
      peakRssBytes,
      cpuSeconds,
      lostWrites: lost.length,
      // Keep the JSON readable when something went badly wrong.
      verification: { ...verification, lost: lost.slice(0, 100) },
    };
  } finally {
    target.close();
  }
}
