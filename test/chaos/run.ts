import { parseArgs } from "node:util";
import { defaultChaosOptions, runChaos } from "./chaos-run.ts";

// `npm run chaos -- --seed 7 --minutes 30`: a soak run. Exit code 1 when anomalies are found.
const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    minutes: { type: "string", default: "1" },
    nodes: { type: "string", default: "1" },
    binary: { type: "string" },
    keep: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const minutes = Number(values.minutes);
const nodes = Number(values.nodes);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
if (!(minutes > 0)) throw new Error(`--minutes must be positive, got ${values.minutes}`);
if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`--nodes must be a positive integer, got ${values.nodes}`);

console.log(`chaos: seed ${seed}, ${minutes} min, ${nodes} node(s)`);
const report = await runChaos({
  ...defaultChaosOptions,
  seed,
  durationMs: minutes * 60_000,
  nodes,
  binary: values.binary,
  keepArtifacts: values.keep,
  checkTimeoutMs: Math.max(defaultChaosOptions.checkTimeoutMs, minutes * 60_000),
});
if (values.verbose) {
  for (const f of report.faultLog) console.log(`fault ${f.kind} ${f.node} at ${(f.start / 1000).toFixed(1)}s for ${Math.round(f.end - f.start)} ms: ${f.detail}`);
}
for (const anomaly of report.anomalies) console.log(`ANOMALY: ${anomaly}`);
if (report.artifactsDir !== undefined) console.log(`history and node logs: ${report.artifactsDir}`);
console.log(report.summary);
process.exit(report.anomalies.length > 0 ? 1 : 0);
