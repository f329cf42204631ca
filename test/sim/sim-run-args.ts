/** The command line both simulators' runners take (test/sim/run.ts and test/sim/node/run.ts). */
export interface SimRunArgs {
  seeds: number;
  seed: number | undefined;
  start: number;
  nodes: number | undefined;
  duration: number;
  trace: boolean;
}

/** Parses `--seeds N --start N --seed N --nodes N --duration MS --trace`; throws naming a bad or unknown flag. */
export function parseSimRunArgs(argv: readonly string[], defaultDurationMs: number): SimRunArgs {
  const args: SimRunArgs = { seeds: 100, seed: undefined, start: 1, nodes: undefined, duration: defaultDurationMs, trace: false };
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
