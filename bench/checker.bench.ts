/**
 * Benchmark, not a test: `bun test/check/checker-benchmark.ts`.
 * Times the checker on generated register histories of several shapes;
 * each figure is the best of three runs, in CPU time of this process (the
 * machine is shared, so wall time says more about the neighbours), after
 * one warm-up check so the JIT compiler's work is not counted.
 */
import { checkLinearizable } from "../src/check/linearizability.ts";
import { registerModel } from "../src/check/register-model.ts";
import { corruptOneRead, generateRegisterHistory } from "../test/check/random-history.ts";

interface Shape {
  readonly operations: number;
  readonly keys: number;
  readonly clients: number;
  readonly ambiguousRate: number;
}

const shapes: Shape[] = [
  { operations: 10_000, keys: 100, clients: 10, ambiguousRate: 0 },
  { operations: 10_000, keys: 100, clients: 10, ambiguousRate: 0.05 },
  { operations: 100_000, keys: 1_000, clients: 10, ambiguousRate: 0.05 },
  { operations: 10_000, keys: 10, clients: 10, ambiguousRate: 0.05 },
  { operations: 5_000, keys: 1, clients: 10, ambiguousRate: 0.02 },
  { operations: 5_000, keys: 1, clients: 20, ambiguousRate: 0 },
];
const runs = 3;

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

checkLinearizable(registerModel, generateRegisterHistory({ seed: 1, operations: 5_000, keys: 5, clients: 10, ambiguousRate: 0.05 }));

for (const shape of shapes) {
  const history = generateRegisterHistory({ seed: 7, ...shape });
  for (const variant of ["valid", "corrupted"] as const) {
    const input = variant === "valid" ? history : corruptOneRead(history, 7);
    let elapsed = Number.POSITIVE_INFINITY;
    let kind = "";
    for (let run = 0; run < runs; run++) {
      const started = cpuMs();
      kind = checkLinearizable(registerModel, input, { timeoutMs: 60_000 }).kind;
      elapsed = Math.min(elapsed, cpuMs() - started);
    }
    console.log(
      `${shape.operations} ops, ${shape.keys} keys, ${shape.clients} clients, ${shape.ambiguousRate * 100}% ambiguous, ` +
        `${variant}: ${kind} in ${elapsed.toFixed(1)} ms CPU`,
    );
  }
}
