import { describe, expect, test } from "bun:test";
import { budget } from "../../support/test-tier.ts";
import { type NodeSimResult, nodeReplayCommand, runNodeSeed } from "./node-simulation.ts";

/** The CI budget: about a minute on a 2-core box (10 seeds in the unit tier). `npm run sim:node -- --seeds 100000` is the soak. */
const seedCount = budget(300, 10);
const duration = 6000;

describe("whole-node simulator (real engines, simulated disks, network and clock)", () => {
  test(`${seedCount} seeded schedules keep every invariant, converge, and produce linearizable histories`, async () => {
    const failures: NodeSimResult[] = [];
    let writes = 0;
    let reads = 0;
    for (let seed = 1; seed <= seedCount; seed++) {
      const r = await runNodeSeed(seed, seed % 2 === 0 ? 5 : 3, duration);
      writes += r.writes;
      reads += r.reads;
      if (!r.ok) {
        failures.push(r);
        console.error(`FAILED seed ${r.seed} (${r.nodeCount} nodes) [${r.profile}]: ${r.failure}\n  replay: ${nodeReplayCommand(r, duration)}`);
      }
    }
    expect(failures.map((f) => f.seed)).toEqual([]);
    // Substantial histories, or the check would prove little.
    expect(writes).toBeGreaterThan(seedCount * 30);
    expect(reads).toBeGreaterThan(seedCount * 30);
  }, 600_000);

  test("a seed replays identically, traced or not", async () => {
    const traceOf = async (seed: number): Promise<string[]> => {
      const lines: string[] = [];
      await runNodeSeed(seed, 5, 2000, (line) => lines.push(line));
      return lines;
    };
    const first = await traceOf(7);
    expect(first.length).toBeGreaterThan(20);
    expect(await traceOf(7)).toEqual(first);
    expect(await traceOf(8)).not.toEqual(first);
    const quiet = await runNodeSeed(7, 5, 2000);
    const traced = await runNodeSeed(7, 5, 2000, () => {});
    expect(traced).toEqual(quiet);
  }, 60_000);
});
