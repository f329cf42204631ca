/**
 * How much of each second the leader's event loop is blocked by SQLite log
 * writes under a Put load (issue 4, item 1: measure, then decide whether the
 * log writer must move to a Worker). A 3-node cluster with the default Raft
 * timings, `raftkv bench --workload put --in-flight 100` against the leader,
 * and the leader's RaftIoMeter report ("raft engine io", debug level, every
 * 10 s: ms per second spent in persist and in apply), next to the leader's
 * CPU time from /proc and the bench's throughput.
 *
 *   bun bench/restart/log-write-blocking.ts [--duration 40] [--in-flight 100]
 *       [--binary dist/raftkv]
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawn } from "bun";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { freePort } from "../../test/support/free-port.ts";
import { removeDir, tempDir } from "../../test/support/temp-dir.ts";
import { BenchNode } from "./bench-node.ts";

const mainScript = resolve(import.meta.dir, "../../src/cli/main.ts");
const CLOCK_TICKS_PER_SECOND = 100;

function argValue(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** utime + stime of a process, in seconds. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

interface IoReport {
  readonly persistMsPerSecond: number;
  readonly applyMsPerSecond: number;
  readonly persistsPerSecond: number;
  readonly appliesPerSecond: number;
}

function isIoReport(fields: Readonly<Record<string, unknown>>): boolean {
  return fields.msg === "raft engine io" && typeof fields.persistMsPerSecond === "number";
}

async function main(): Promise<void> {
  const duration = Number(argValue("--duration") ?? "40");
  const inFlight = Number(argValue("--in-flight") ?? "100");
  const binary = argValue("--binary");
  const root = tempDir("io-bench");
  const ids = ["n1", "n2", "n3"];
  const raftPorts = ids.map(() => freePort());
  const clientPorts = ids.map(() => freePort());
  const initial = ids.map((id, i) => `${id}=127.0.0.1:${raftPorts[i]}`).join(",");
  const nodes = ids.map(
    (id, i) =>
      new BenchNode(
        id,
        clientPorts[i] ?? 0,
        ["--data-dir", join(root, id), "--raft-listen", `127.0.0.1:${raftPorts[i]}`, "--initial-cluster", initial, "--log-level", "debug"],
        binary,
      ),
  );
  try {
    for (const node of nodes) node.spawn();
    await Promise.all(nodes.map((node) => node.servingLine(0)));
    const leaderId = await (async () => {
      for (;;) {
        try {
          const answer = await nodes[0]?.client().get({ key: new TextEncoder().encode("probe"), consistency: Consistency.LINEARIZABLE }, { timeoutMs: 2000 });
          if (answer?.header?.leaderId) return answer.header.leaderId;
        } catch {
          // Not elected yet.
        }
        await Bun.sleep(100);
      }
    })();
    const leader = nodes.find((n) => n.id === leaderId);
    const pid = leader?.pid;
    if (leader === undefined || pid === undefined) throw new Error(`leader ${leaderId} is not one of ours`);
    console.log(`leader ${leaderId}; Put 256 B at ${inFlight} in flight for ${duration} s against it`);

    const loadStartedAt = performance.now();
    const cpuBefore = cpuSecondsOf(pid);
    const command = binary === undefined ? ["bun", mainScript] : [binary];
    const bench = spawn(
      [
        ...command,
        "bench",
        "--endpoints",
        leader.endpoint,
        "--workload",
        "put",
        "--in-flight",
        String(inFlight),
        "--duration",
        String(duration),
        "--requests",
        "100000000",
        "--value-size",
        "256",
        "-w",
        "json",
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    const output = await new Response(bench.stdout).text();
    await bench.exited;
    const loadSeconds = (performance.now() - loadStartedAt) / 1000;
    const leaderCpu = cpuSecondsOf(pid) - cpuBefore;
    const { result } = JSON.parse(output) as { result: { throughput: number; latency: { p50Ms: number; p99Ms: number }; errors: number } };
    // Reports whose 10 s window lies inside the load (the first one may straddle its start: skipped).
    const reports = leader.lines
      .filter((l) => l.atMs > loadStartedAt + 10_500 && l.atMs <= performance.now() && isIoReport(l.fields))
      .map((l) => l.fields as unknown as IoReport);
    console.log(`bench: ${result.throughput.toFixed(0)} puts/s, p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms, ${result.errors} errors`);
    console.log(`leader CPU: ${((leaderCpu / loadSeconds) * 100).toFixed(0)} % of one core over the run`);
    for (const r of reports) {
      const entriesPerPersist = r.persistsPerSecond > 0 ? (result.throughput / r.persistsPerSecond).toFixed(1) : "-";
      console.log(
        `leader io: persist ${r.persistMsPerSecond} ms/s (${(r.persistMsPerSecond / 10).toFixed(1)} % of each second), ` +
          `apply ${r.applyMsPerSecond} ms/s (${(r.applyMsPerSecond / 10).toFixed(1)} %), ${r.persistsPerSecond} persists/s ` +
          `(~${entriesPerPersist} puts per persist), ${r.appliesPerSecond} apply batches/s`,
      );
    }
    if (reports.length === 0) console.log("no io report inside the load window: run longer (--duration >= 25)");
  } finally {
    await Promise.all(nodes.map((n) => n.stop("SIGTERM")));
    removeDir(root);
  }
}

await main();
