/**
 * A/B of one build or setting on a 3-node cluster: a benchmark, not a test.
 *
 *   bun bench/ab-put.ts LABEL [--binary dist/raftkv] [--load-binary dist/raftkv]
 *
 * Starts three nodes with the harness (fresh data dirs, leadership on n1),
 * fills 20k keys, then runs Put at 100, 16 and 1 in flight (30k, 10k, 2k
 * requests) with `raftkv bench` and prints one line: req/s per row and the
 * servers' CPU per Put. The servers and the load generator inherit this
 * process's environment, so a setting can be compared by environment alone:
 *
 *   MIMALLOC_PURGE_DELAY=100 bun bench/ab-put.ts purge
 *   bun bench/ab-put.ts no-purge
 *
 * `--load-binary` runs the load generator from another build (by default the
 * servers' own), so two server builds can be compared under one client.
 *
 * Run the two labels alternately, several times each, and compare medians:
 * on a shared 2-core box single runs spread by ±10-15 %.
 */
import { loadavg } from "node:os";
import { removeDir, tempDir } from "../test/support/temp-dir.ts";
import type { Cluster } from "./harness/cluster.ts";
import { readProcStats } from "./harness/proc-stats.ts";
import { startRaftkvCluster } from "./harness/raftkv-cluster.ts";

const rows = [
  { inFlight: 100, requests: 30_000 },
  { inFlight: 16, requests: 10_000 },
  { inFlight: 1, requests: 2_000 },
] as const;

const label = process.argv[2];
if (label === undefined || label.startsWith("--")) {
  console.error("usage: bun bench/ab-put.ts LABEL [--binary dist/raftkv] [--load-binary dist/raftkv]");
  process.exit(2);
}
const binaryFlag = process.argv.indexOf("--binary");
const binary = binaryFlag > 0 ? (process.argv[binaryFlag + 1] ?? "dist/raftkv") : "dist/raftkv";
const loadBinaryFlag = process.argv.indexOf("--load-binary");
const loadBinary = loadBinaryFlag > 0 ? (process.argv[loadBinaryFlag + 1] ?? binary) : binary;

function serverCpuSeconds(cluster: Cluster): number {
  let total = 0;
  for (const node of cluster.nodes) total += readProcStats(node.process.pid)?.cpuSeconds ?? 0;
  return total;
}

/** Runs the load generator against the leader; returns its throughput line's req/s. */
async function load(cluster: Cluster, workload: string, inFlight: number, requests: number): Promise<number> {
  const args = [loadBinary, "bench", "--endpoints", cluster.endpoint, "--workload", workload, "--in-flight", String(inFlight), "--requests", String(requests)];
  const child = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const rate = /(\d+) req\/s/.exec(out)?.[1];
  // A run whose requests all failed still exits 0 with "0 req/s": that is a broken run, not a figure.
  if (code !== 0 || rate === undefined || !/errors +0\b/.test(out))
    throw new Error(`${args.join(" ")} failed (exit ${code}):\n${out}${await new Response(child.stderr).text()}`);
  return Number(rate);
}

const workDir = tempDir(`ab-${label}`);
const cluster = await startRaftkvCluster({ size: 3, workDir, binary });
try {
  await load(cluster, "fill", 100, 20_000);
  const parts = [label];
  for (const row of rows) {
    const before = serverCpuSeconds(cluster);
    const rate = await load(cluster, "put", row.inFlight, row.requests);
    const cpuMicrosPerPut = ((serverCpuSeconds(cluster) - before) * 1e6) / row.requests;
    parts.push(`@${row.inFlight}=${rate} req/s (${Math.round(cpuMicrosPerPut)} µs CPU/put)`);
  }
  console.log(`${parts.join("  ")}  load=${(loadavg()[0] ?? 0).toFixed(2)}`);
} finally {
  await cluster.stop();
  removeDir(workDir);
}
