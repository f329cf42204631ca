#!/usr/bin/env bun
// raftkv vs etcd, same machine, same run: `npm run bench -- --vs etcd`.
// See bench/README.md for the options and for how to read the results.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseClientLibrary, type TargetSystem } from "../src/bench/index.ts";
import { fullPlan, smokePlan } from "./harness/bench-plan.ts";
import { runBenchSession } from "./harness/bench-session.ts";
import { markdownReport } from "./harness/markdown-report.ts";
import { throughputLatencyChart } from "./harness/svg-chart.ts";

const USAGE = `usage: bun bench/run.ts [--vs etcd|none] [--smoke] [--out DIR] [options]

  --vs etcd|none        compare against etcd (default) or run raftkv alone
  --systems LIST        explicit systems, e.g. "etcd" when raftkv is not built
  --smoke               a few hundred requests per workload (CI), under a minute
  --out DIR             where results.md/json and chart.svg go
                        (default bench/results/<date> for a full run, bench/out/smoke for smoke)
  --nodes N             raftkv nodes (default 1)
  --etcd-nodes N        etcd nodes (default: same as --nodes)
  --raftkv-binary PATH  compiled raftkv (default dist/raftkv)
  --etcd-binary PATH    default /usr/bin/etcd
  --h2load-binary PATH  default /usr/bin/h2load
  --no-h2load           skip the h2load levels
  --client LIB          load generator's gRPC client: http2 (default), connect, grpc-js
  --keep-data           keep the servers' data dirs and logs`;

function systemsFrom(text: string): TargetSystem[] {
  return text.split(",").map((name) => {
    const trimmed = name.trim();
    if (trimmed !== "raftkv" && trimmed !== "etcd") throw new Error(`--systems: unknown system "${trimmed}"`);
    return trimmed;
  });
}

function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${flag}: expected a positive integer, got "${text}"`);
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      vs: { type: "string", default: "etcd" },
      systems: { type: "string" },
      smoke: { type: "boolean", default: false },
      out: { type: "string" },
      nodes: { type: "string" },
      "etcd-nodes": { type: "string" },
      "raftkv-binary": { type: "string", default: "dist/raftkv" },
      "etcd-binary": { type: "string", default: "/usr/bin/etcd" },
      "h2load-binary": { type: "string", default: "/usr/bin/h2load" },
      "no-h2load": { type: "boolean", default: false },
      client: { type: "string", default: "http2" },
      "keep-data": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const systems = values.systems !== undefined ? systemsFrom(values.systems) : values.vs === "none" ? ["raftkv" as const] : systemsFrom(`raftkv,${values.vs}`);
  const raftkvBinary = resolve(values["raftkv-binary"]);
  if (systems.includes("raftkv") && !existsSync(raftkvBinary)) {
    throw new Error(`${raftkvBinary} does not exist: run \`npm run build\` first (or pass --systems etcd)`);
  }
  const nodes = positiveInteger("nodes", values.nodes, 1);
  const plan = values.smoke ? smokePlan() : fullPlan();
  const date = new Date().toISOString().slice(0, 10);
  const outDir = resolve(values.out ?? (values.smoke ? join("bench", "out", "smoke") : join("bench", "results", date)));
  const command = `npm run bench -- ${Bun.argv.slice(2).join(" ")}`.trim();
  const h2load = !values["no-h2load"] && existsSync(values["h2load-binary"]);

  const results = await runBenchSession({
    plan,
    systems,
    raftkvNodes: nodes,
    etcdNodes: positiveInteger("etcd-nodes", values["etcd-nodes"], nodes),
    raftkvBinary,
    etcdBinary: values["etcd-binary"],
    h2loadBinary: values["h2load-binary"],
    h2load,
    client: parseClientLibrary(values.client),
    command,
    keepData: values["keep-data"],
    log: (line) => console.log(line),
  });

  mkdirSync(outDir, { recursive: true });
  const chartFile = "chart.svg";
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, "results.md"), markdownReport(results, chartFile));
  writeFileSync(join(outDir, chartFile), throughputLatencyChart(results));
  console.log(`results written to ${outDir}`);
  if (results.failures.length > 0) {
    console.error(`FAILED: ${results.failures.join("; ")}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);
