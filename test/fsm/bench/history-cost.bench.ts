// Apply throughput of the state machine with and without the history table:
// batches of 100 puts of 256 B values over a key space of 100k keys.
//   bun test/fsm/bench/history-cost.bench.ts [batches]
import { join } from "node:path";
import { KvStateMachine, type KvStateMachineOptions } from "../../../src/fsm/kv-state-machine.ts";
import type { Entry } from "../../../src/raft/entry.ts";
import { removeDir, tempDir } from "../../support/temp-dir.ts";
import { putEntry } from "../commands.ts";

const batchSize = 100;
const keySpace = 100_000;
const batches = Number(process.argv[2] ?? 400);
const rounds = 5;

function makeBatches(seed: number): Entry[][] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const value = new Uint8Array(256).fill(0x61);
  const out: Entry[][] = [];
  let index = 1;
  for (let b = 0; b < batches; b++) {
    const batch: Entry[] = [];
    for (let i = 0; i < batchSize; i++) {
      batch.push(
        putEntry(
          index++,
          `key-${Math.floor(random() * keySpace)
            .toString()
            .padStart(6, "0")}`,
          value,
        ),
      );
    }
    out.push(batch);
  }
  return out;
}

interface Figures {
  readonly putsPerSecond: number;
  /** Puts per second of CPU time (all threads of this process): steadier than wall time on a shared machine. */
  readonly putsPerCpuSecond: number;
  readonly medianMs: number;
  readonly p99Ms: number;
}

function run(options: KvStateMachineOptions, work: Entry[][], withListener: boolean): Figures {
  const dir = tempDir("fsm-bench");
  const fsm = KvStateMachine.open(join(dir, "kv.db"), options);
  let heard = 0;
  if (withListener) fsm.onChange((n) => (heard += n.kind === "applied" ? n.events.length : 0));
  try {
    const times: number[] = [];
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    for (const batch of work) {
      const t = performance.now();
      fsm.applyBatch(batch);
      times.push(performance.now() - t);
    }
    const total = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    times.sort((a, b) => a - b);
    if (withListener && heard !== work.length * batchSize) throw new Error(`listener heard ${heard} events`);
    return {
      putsPerSecond: (work.length * batchSize) / (total / 1000),
      putsPerCpuSecond: (work.length * batchSize) / ((cpu.user + cpu.system) / 1e6),
      medianMs: times[Math.floor(times.length / 2)] ?? 0,
      p99Ms: times[Math.floor(times.length * 0.99)] ?? 0,
    };
  } finally {
    fsm.close();
    removeDir(dir);
  }
}

const variants: [string, KvStateMachineOptions, boolean][] = [
  ["no history", { recordHistory: false }, false],
  ["history", {}, false],
  ["history + listener", {}, true],
];
const work = makeBatches(42);
const results = new Map<string, Figures[]>();
for (let round = 0; round < rounds; round++) {
  for (const [name, options, listener] of variants) {
    const list = results.get(name) ?? [];
    list.push(run(options, work, listener));
    results.set(name, list);
  }
}
console.log(`${batches} batches x ${batchSize} puts of 256 B, ${keySpace} keys, best of ${rounds} rounds`);
for (const [name, list] of results) {
  const best = list.reduce((a, b) => (b.putsPerSecond > a.putsPerSecond ? b : a));
  const bestCpu = Math.max(...list.map((f) => f.putsPerCpuSecond));
  console.log(
    `${name.padEnd(20)} ${Math.round(best.putsPerSecond).toString().padStart(8)} puts/s wall  ${Math.round(bestCpu).toString().padStart(8)} puts/s CPU  median ${best.medianMs.toFixed(2)} ms/batch  p99 ${best.p99Ms.toFixed(2)} ms/batch`,
  );
}
