import { describe, expect, test } from "bun:test";
import { budget } from "../support/test-tier.ts";
import { replayCommand, runSeed, type SimResult } from "./simulation.ts";

const seedCount = budget(2000, 200);
const duration = 3000;

describe("deterministic simulator", () => {
  test(`${seedCount} seeded schedules keep every invariant and produce linearizable histories`, () => {
    const failures: SimResult[] = [];
    let writes = 0;
    let reads = 0;
    for (let seed = 1; seed <= seedCount; seed++) {
      const r = runSeed(seed, seed % 2 === 0 ? 5 : 3, duration);
      writes += r.writes;
      reads += r.reads;
      if (!r.ok) {
        failures.push(r);
        console.error(`FAILED seed ${r.seed} (${r.nodeCount} nodes) [${r.profile}]: ${r.failure}\n  replay: ${replayCommand(r, duration)}`);
      }
    }
    expect(failures.map((f) => f.seed)).toEqual([]);
    // The histories must be substantial, or the check would prove little.
    expect(writes).toBeGreaterThan(seedCount * 10);
    expect(reads).toBeGreaterThan(seedCount * 10);
  }, 400_000);

  test("a seed replays identically", () => {
    const traceOf = (seed: number): string[] => {
      const lines: string[] = [];
      runSeed(seed, 5, 1500, (line) => lines.push(line));
      return lines;
    };
    const first = traceOf(7);
    expect(first.length).toBeGreaterThan(10);
    expect(traceOf(7)).toEqual(first);
    expect(traceOf(8)).not.toEqual(first);
  });
});
