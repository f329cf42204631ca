/**
 * Runs many simulator seeds: `bun test/sim/run.ts --seeds 100000` (3 and 5
 * nodes alternating), or replays one: `--seed 42 --nodes 5 --trace`.
 */
import { replayCommand, runSeed } from "./simulation.ts";

interface Args {
  seeds: number;
  seed: number | undefined;
  start: number;
  nodes: number | undefined;
  duration: number;
  trace: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seeds: 100, seed: undefined, start: 1, nodes: undefined, duration: 3000, trace: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      const raw = argv[++i];
      const n = Number(raw);
      if (raw === undefined || !Number.isInteger(n)) throw new Error(`${flag} needs an integer, got ${String(raw)}`);
      return n;
    };
    switch (flag) {
      case "--seeds":
        args.seeds = value();
        break;
      case "--seed":
        args.seed = value();
        break;
      case "--start":
        args.start = value();
        break;
      case "--nodes":
        args.nodes = value();
        break;
      case "--duration":
        args.duration = value();
        break;
      case "--trace":
        args.trace = true;
        break;
      default:
        throw new Error(`unknown flag ${String(flag)} (known: --seeds --seed --start --nodes --duration --trace)`);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
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
