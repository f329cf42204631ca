import type { TargetSystem } from "../../src/bench/index.ts";
import type { BenchResults, H2loadRun, ScenarioResult, ScenarioRun } from "./bench-results.ts";
import { formatMiB, formatMs, formatRate, formatRatio } from "./format-number.ts";
import { checkGoals } from "./goal-check.ts";

const SYSTEMS: readonly TargetSystem[] = ["raftkv", "etcd"];

/** results.md: raftkv vs etcd per row with the ratio, then resources, verification and the machine. */
export function markdownReport(results: BenchResults, chartFile: string): string {
  const m = results.machine;
  const lines: string[] = [
    `# raftkv vs etcd — ${results.plan} run, ${results.startedAt.slice(0, 10)}`,
    "",
    `Machine: ${m.cores} cores (${m.cpuModel}), ${formatMiB(m.memoryBytes)} MiB RAM, Linux ${m.kernel}, Bun ${m.bun}; ${m.etcd}; ${m.h2load}; raftkv ${m.raftkv} (dist/raftkv built ${m.raftkvBuiltAt ?? "at an unrecorded time"}; checkout at commit ${m.gitCommit}).`,
    `Cluster sizes: ${results.systems.map((s) => `${s.system} ${s.nodes} node${s.nodes === 1 ? "" : "s"}`).join(", ")}, loopback, fresh data dirs; load generator and servers share the machine.`,
    "",
    `Machine load (1-minute load average, ${m.cores} cores): ${results.loadAverage.start.toFixed(1)} at the start, ${results.loadAverage.end.toFixed(1)} at the end; per-row figures in results.json. Anything far above 2 means other work shared the box and the figures are noisy.`,
    "",
    `Reproduce: \`${results.command}\``,
    "",
    ...goalSection(results),
    `## h2load (nghttp2, C): the same gRPC-framed 256 B Put against both`,
    "",
    "h2load sees HTTP status only, not grpc-status; *applied* is the number of writes the server's revision/index moved by.",
    "",
    "| in flight | raftkv req/s | etcd req/s | ratio | raftkv mean / max ms | etcd mean / max ms | applied raftkv / etcd |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const levels = [...new Set(results.h2load.map((run) => run.h2load.inFlight))];
  for (const level of levels) {
    const run = (system: TargetSystem): H2loadRun | undefined => results.h2load.find((r) => r.system === system && r.h2load.inFlight === level);
    const r = run("raftkv");
    const e = run("etcd");
    lines.push(
      `| ${level} | ${r ? formatRate(r.h2load.throughput) : "–"} | ${e ? formatRate(e.h2load.throughput) : "–"} | ${formatRatio(r?.h2load.throughput, e?.h2load.throughput)} | ${r ? `${formatMs(r.h2load.meanMs)} / ${formatMs(r.h2load.maxMs)}` : "–"} | ${e ? `${formatMs(e.h2load.meanMs)} / ${formatMs(e.h2load.maxMs)}` : "–"} | ${r ? `${r.appliedWrites}/${r.h2load.succeeded}` : "–"} / ${e ? `${e.appliedWrites}/${e.h2load.succeeded}` : "–"} |`,
    );
  }
  lines.push(
    "",
    `## raftkv bench (this repo's load generator, ${results.clientLibrary} client, HDR histograms)`,
    "",
    "Ratio columns are raftkv ÷ etcd: above 1× is better for throughput, below 1× is better for p99.",
    "",
    "| workload | load | raftkv req/s | etcd req/s | ratio | raftkv p50 / p90 / p99 / p99.9 ms | etcd p50 / p90 / p99 / p99.9 ms | p99 ratio | errors raftkv / etcd | box load |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const scenario of results.scenarios) lines.push(scenarioRow(scenario));
  lines.push(
    "",
    "## Server resources",
    "",
    "| system | node | peak RSS MiB (VmHWM) | CPU s, whole run | CPU ms per 1k requests of the load generator's runs |",
    "| --- | --- | ---: | ---: | ---: |",
  );
  for (const summary of results.systems) {
    const runs = results.scenarios.flatMap((s) => s.runs.filter((r) => r.system === summary.system));
    const requests = runs.reduce((sum, r) => sum + r.load.succeeded + r.load.errors, 0);
    for (const nodeId of Object.keys(summary.peakRssBytes)) {
      const cpu = runs.reduce((sum, r) => sum + (r.server.find((n) => n.nodeId === nodeId)?.cpuSeconds ?? 0), 0);
      lines.push(
        `| ${summary.system} | ${nodeId} | ${formatMiB(summary.peakRssBytes[nodeId] ?? 0)} | ${(summary.cpuSeconds[nodeId] ?? 0).toFixed(1)} | ${requests > 0 ? ((cpu * 1e6) / requests).toFixed(0) : "–"} |`,
      );
    }
  }
  lines.push("", "## Acknowledged writes read back afterwards", "");
  for (const summary of results.systems) {
    const v = summary.verification;
    lines.push(
      `- ${summary.system}: ${v.acknowledgedWrites} acknowledged writes over ${v.keysChecked} keys, ${summary.lostWrites} lost${v.lost.length > 0 ? ` (first: ${v.lost[0]?.key}: ${v.lost[0]?.reason})` : ""}.`,
    );
  }
  lines.push("", results.failures.length === 0 ? "Result: no acknowledged write lost." : `**FAILED**: ${results.failures.join("; ")}`);
  lines.push("", `![throughput vs p99 latency](${chartFile})`, "");
  return lines.join("\n");
}

function scenarioRow(scenario: ScenarioResult): string {
  const run = (system: TargetSystem): ScenarioRun | undefined => scenario.runs.find((r) => r.system === system);
  const [r, e] = SYSTEMS.map(run);
  const percentiles = (x: ScenarioRun | undefined): string =>
    x === undefined ? "–" : [x.load.latency.p50Ms, x.load.latency.p90Ms, x.load.latency.p99Ms, x.load.latency.p999Ms].map(formatMs).join(" / ");
  return `| ${scenario.title} | ${scenario.mode} | ${r ? formatRate(r.load.throughput) : "–"} | ${e ? formatRate(e.load.throughput) : "–"} | ${formatRatio(r?.load.throughput, e?.load.throughput)} | ${percentiles(r)} | ${percentiles(e)} | ${formatRatio(r?.load.latency.p99Ms, e?.load.latency.p99Ms)} | ${r ? r.load.errors : "–"} / ${e ? e.load.errors : "–"} | ${boxLoad(scenario)} |`;
}

/** The 1-minute load averages seen at the end of each system's run of the row. */
function boxLoad(scenario: ScenarioResult): string {
  return scenario.runs.map((r) => r.loadAverage1m.toFixed(1)).join(" / ");
}

function goalSection(results: BenchResults): string[] {
  if (!results.systems.some((s) => s.system === "raftkv") || !results.systems.some((s) => s.system === "etcd")) return [];
  const lines = ["## Goals (raftkv ÷ etcd; a benchmark outcome, not a test)", "", "| goal | ratio | wanted | met |", "| --- | ---: | ---: | :---: |"];
  for (const check of checkGoals(results)) {
    const ratio = check.ratio === undefined ? "–" : `${check.ratio.toFixed(2)}×`;
    const met = check.met === undefined ? "–" : check.met ? "yes" : "no";
    lines.push(`| ${check.goal} | ${ratio} | ${check.higherIsBetter ? "≥" : "≤"} ${check.target}× | ${met} |`);
  }
  lines.push("");
  return lines;
}
