import { parseArgs } from "node:util";
import { chaosOptionsFor, defaultChaosOptions, runChaos } from "./chaos-run.ts";

// `npm run chaos -- --seed 7 --minutes 30`: a soak run. Exit code 1 when anomalies are found.
const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    minutes: { type: "string", default: "1" },
    nodes: { type: "string", default: "3" },
    binary: { type: "string" },
    keep: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    // Healthy time between faults, "lo,hi" in ms (default 500,2000); lower is harsher.
    "gap-ms": { type: "string" },
  },
});

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const minutes = Number(values.minutes);
const nodes = Number(values.nodes);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
if (!(minutes > 0)) throw new Error(`--minutes must be positive, got ${values.minutes}`);
if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`--nodes must be a positive integer, got ${values.nodes}`);

const options = chaosOptionsFor(nodes);
const gap = values["gap-ms"] === undefined ? options.nemesis.gapMs : parseRange("--gap-ms", values["gap-ms"]);

console.log(`chaos: seed ${seed}, ${minutes} min, ${nodes} node(s), ${gap[0]}-${gap[1]} ms between faults`);
const report = await runChaos({
  ...options,
  nemesis: { ...options.nemesis, gapMs: gap },
  seed,
  durationMs: minutes * 60_000,
  nodes,
  binary: values.binary,
  keepArtifacts: values.keep,
  checkTimeoutMs: Math.max(defaultChaosOptions.checkTimeoutMs, minutes * 60_000),
});
if (values.verbose) {
  for (const f of report.faultLog)
    console.log(`fault ${f.kind} ${f.node} at ${(f.start / 1000).toFixed(1)}s for ${Math.round(f.end - f.start)} ms: ${f.detail}`);
}
for (const skipped of report.skipped) console.log(`not run: ${skipped}`);
for (const anomaly of report.anomalies) console.log(`ANOMALY: ${anomaly}`);
if (report.artifactsDir !== undefined) console.log(`history and node logs: ${report.artifactsDir}`);
console.log(report.summary);
process.exit(report.anomalies.length > 0 ? 1 : 0);

function parseRange(flag: string, text: string): [number, number] {
  const [lo, hi] = text.split(",").map(Number);
  if (lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo) {
    throw new Error(`${flag} must be "lo,hi" in ms with 0 <= lo <= hi, got ${JSON.stringify(text)}`);
  }
  return [lo, hi];
}
