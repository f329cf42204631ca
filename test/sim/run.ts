/**
 * Runs many simulator seeds: `bun test/sim/run.ts --seeds 100000` (3 and 5
 * nodes alternating), or replays one: `--seed 42 --nodes 5 --trace`.
 */

import { parseSimRunArgs } from "./sim-run-args.ts";
import { replayCommand, runSeed } from "./simulation.ts";

const args = parseSimRunArgs(process.argv.slice(2), 3000);
if (args.seed !== undefined) {
  const r = runSeed(args.seed, args.nodes ?? 3, args.duration, args.trace ? (line) => console.log(line) : undefined);
  console.log(
    `seed ${r.seed} nodes ${r.nodeCount} [${r.profile}]: ${r.ok ? "ok" : `FAILED: ${r.failure}`} (writes ${r.writes}, reads ${r.reads}, leader terms ${r.leaderTerms})`,
  );
  process.exit(r.ok ? 0 : 1);
}
const started = performance.now();
let failed = 0;
let writes = 0;
let reads = 0;
for (let k = 0; k < args.seeds; k++) {
  const seed = args.start + k;
  const r = runSeed(seed, args.nodes ?? (seed % 2 === 0 ? 5 : 3), args.duration);
  writes += r.writes;
  reads += r.reads;
  if (!r.ok) {
    failed++;
    console.log(`FAILED seed ${seed} nodes ${r.nodeCount} [${r.profile}]: ${r.failure}\n  replay: ${replayCommand(r, args.duration)}`);
  }
  if ((k + 1) % 1000 === 0) console.log(`... ${k + 1} seeds, ${failed} failed, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
console.log(
  `ran ${args.seeds} seeds, failed ${failed}, ${((performance.now() - started) / 1000).toFixed(1)} s ` +
    `(${writes} acknowledged writes, ${reads} reads checked)`,
);
process.exit(failed === 0 ? 0 : 1);
