/**
 * Runs whole-node simulator seeds: `bun test/sim/node/run.ts --seeds 1000`
 * (3 and 5 nodes alternating), or replays one: `--seed 42 --nodes 3 --trace`.
 */

import { parseSimRunArgs } from "../sim-run-args.ts";
import { nodeReplayCommand, runNodeSeed } from "./node-simulation.ts";

const args = parseSimRunArgs(process.argv.slice(2), 6000);
if (args.seed !== undefined) {
  const r = await runNodeSeed(args.seed, args.nodes ?? 3, args.duration, args.trace ? (line) => console.log(line) : undefined);
  console.log(
    `seed ${r.seed} nodes ${r.nodeCount} [${r.profile}]: ${r.ok ? "ok" : `FAILED: ${r.failure}`} (writes ${r.writes}, reads ${r.reads}, leader terms ${r.leaderTerms}, forged ${r.forged}, dropped ${JSON.stringify(Object.fromEntries(r.rejected))})`,
  );
  process.exit(r.ok ? 0 : 1);
}
const started = performance.now();
let failed = 0;
let writes = 0;
let reads = 0;
let forged = 0;
const rejected = new Map<string, number>();
for (let k = 0; k < args.seeds; k++) {
  const seed = args.start + k;
  const r = await runNodeSeed(seed, args.nodes ?? (seed % 2 === 0 ? 5 : 3), args.duration);
  writes += r.writes;
  reads += r.reads;
  forged += r.forged;
  for (const [reason, n] of r.rejected) rejected.set(reason, (rejected.get(reason) ?? 0) + n);
  if (!r.ok) {
    failed++;
    console.log(`FAILED seed ${seed} nodes ${r.nodeCount} [${r.profile}]: ${r.failure}\n  replay: ${nodeReplayCommand(r, args.duration)}`);
  }
  if ((k + 1) % 100 === 0) console.log(`... ${k + 1} seeds, ${failed} failed, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
console.log(
  `ran ${args.seeds} seeds, failed ${failed}, ${((performance.now() - started) / 1000).toFixed(1)} s ` +
    `(${writes} acknowledged writes, ${reads} reads checked, ${forged} forged payloads dropped; ` +
    `peer payloads dropped by reason: ${[...rejected].map(([reason, n]) => `${reason} ${n}`).join(", ") || "none"})`,
);
process.exit(failed === 0 ? 0 : 1);
