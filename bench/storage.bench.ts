/**
 * Storage micro-benchmark (a benchmark, not a test):
 *   bun bench/storage.bench.ts                     all parts
 *   bun bench/storage.bench.ts --snapshot-keys 200000
 *   bun bench/storage.bench.ts --no-snapshot       only the mitata part
 *
 * 1. (mitata) KvStateMachine.applyBatch of 64 and 1000 puts of 256-byte
 *    values (one transaction each, synchronous=NORMAL), and
 *    RaftLogStore.append of 1, 64 and 1000 entries of 256 bytes (one
 *    transaction and one fsync each, synchronous=FULL). Printed as batches/s
 *    and entries/s.
 * 2. Snapshot while applying: a state machine with N keys is copied with
 *    snapshotTo (VACUUM INTO in a Worker) while batches of 64 puts keep being
 *    applied; reports the copy time, the batches applied meanwhile and the
 *    longest event-loop stall. Then the time to open the database again.
 * 3. Restart of a log store holding --log-entries entries (default 100k).
 */

import { statSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { bench, run } from "mitata";
import { KvStateMachine } from "../src/fsm/kv-state-machine.ts";
import { CommandSchema } from "../src/gen/raftkv/v1/command_pb.ts";
import type { Entry } from "../src/raft/entry.ts";
import { RaftLogStore } from "../src/storage/raft-log-store.ts";
import { removeDir, tempDir } from "../test/support/temp-dir.ts";

const VALUE_BYTES = 256;
const KEY_SPACE = 100_000;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const value = new Uint8Array(VALUE_BYTES).fill(0x61);
const encoder = new TextEncoder();

function putData(n: number): Uint8Array {
  const key = encoder.encode(`bench/key/${(n % KEY_SPACE).toString().padStart(8, "0")}`);
  return toBinary(CommandSchema, create(CommandSchema, { op: { case: "put", value: { key, value } } }));
}

/** Pre-encoded commands, so the benchmark measures storage, not protobuf encoding. */
const encoded = Array.from({ length: 4096 }, (_, i) => putData(i * 7919));

function putBatch(from: number, size: number): Entry[] {
  const out: Entry[] = new Array<Entry>(size);
  for (let i = 0; i < size; i++) {
    const index = from + i;
    out[i] = { index, term: 1, kind: "normal", data: encoded[index % encoded.length] as Uint8Array };
  }
  return out;
}

function rawBatch(from: number, size: number): Entry[] {
  const out: Entry[] = new Array<Entry>(size);
  for (let i = 0; i < size; i++) out[i] = { index: from + i, term: 1, kind: "normal", data: value };
  return out;
}

const dir = tempDir("storage-bench");
const batchSizes = new Map<string, number>();

try {
  const fsm = KvStateMachine.open(join(dir, "kv.db"));
  for (const size of [64, 1000]) {
    const name = `fsm applyBatch ${size} puts x ${VALUE_BYTES} B`;
    batchSizes.set(name, size);
    bench(name, () => {
      fsm.applyBatch(putBatch(fsm.appliedIndex() + 1, size));
    });
  }
  const log = RaftLogStore.open(join(dir, "raft.db"));
  for (const size of [1, 64, 1000]) {
    const name = `log append ${size} x ${VALUE_BYTES} B (fsync)`;
    batchSizes.set(name, size);
    bench(name, () => {
      log.append(rawBatch(log.lastIndex() + 1, size));
      // Keep the file small, as the engine's compaction would.
      if (log.lastIndex() - log.firstIndex() > 50_000) {
        log.compactPrefix(log.lastIndex() - 10_000, 1);
      }
    });
  }
  const result = await run({ format: "quiet" });
  console.log("\nstorage throughput (mean of mitata samples)");
  console.log("benchmark                                     batches/s    entries/s   mean ms");
  for (const trial of result.benchmarks) {
    for (const r of trial.runs) {
      if (r.stats === undefined) {
        console.log(`${r.name}: failed: ${String(r.error)}`);
        continue;
      }
      const perSecond = 1e9 / r.stats.avg;
      const entries = perSecond * (batchSizes.get(r.name) ?? 1);
      console.log(`${r.name.padEnd(44)} ${perSecond.toFixed(0).padStart(10)} ${entries.toFixed(0).padStart(12)} ${(r.stats.avg / 1e6).toFixed(3).padStart(9)}`);
    }
  }
  fsm.close();
  log.close();

  if (!process.argv.includes("--no-snapshot")) {
    await snapshotWhileApplying(argument("--snapshot-keys", 200_000));
    logRestart(argument("--log-entries", 100_000));
  }
} finally {
  removeDir(dir);
}

async function snapshotWhileApplying(keys: number): Promise<void> {
  const path = join(dir, "snap-kv.db");
  let fsm = KvStateMachine.open(path);
  const unique = (n: number) =>
    toBinary(CommandSchema, create(CommandSchema, { op: { case: "put", value: { key: encoder.encode(`k/${n.toString().padStart(9, "0")}`), value } } }));
  for (let done = 0; done < keys; done += 1000) {
    const size = Math.min(1000, keys - done);
    const from = fsm.appliedIndex() + 1;
    fsm.applyBatch(Array.from({ length: size }, (_, i) => ({ index: from + i, term: 1, kind: "normal", data: unique(done + i) })));
  }
  console.log(`\nsnapshot while applying: ${keys} keys, db ${(statSync(path).size / 1e6).toFixed(1)} MB`);

  let maxStallMs = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last);
    last = now;
  }, 1);
  const target = join(dir, "snapshot.db");
  const started = performance.now();
  let copying = true;
  const pending = fsm.snapshotTo(target).finally(() => {
    copying = false;
  });
  const applyMs: number[] = [];
  while (copying) {
    const t0 = performance.now();
    fsm.applyBatch(putBatch(fsm.appliedIndex() + 1, 64));
    applyMs.push(performance.now() - t0);
    await Bun.sleep(1);
  }
  applyMs.sort((a, b) => a - b);
  const quantile = (q: number) => (applyMs[Math.min(applyMs.length - 1, Math.floor(q * applyMs.length))] ?? 0).toFixed(1);
  const position = await pending;
  const copyMs = performance.now() - started;
  clearInterval(ticker);
  console.log(
    `  copy ${copyMs.toFixed(0)} ms (${(statSync(target).size / 1e6).toFixed(1)} MB, at index ${position.index}); ` +
      `${applyMs.length} batches of 64 applied meanwhile (p50 ${quantile(0.5)} ms, p99 ${quantile(0.99)} ms, max ${quantile(1)} ms); ` +
      `longest event-loop stall ${maxStallMs.toFixed(1)} ms (includes the applies)`,
  );

  const hashStarted = performance.now();
  fsm.hash();
  const hashMs = performance.now() - hashStarted;
  fsm.close();
  const openStarted = performance.now();
  fsm = KvStateMachine.open(path);
  const applied = fsm.appliedIndex();
  const openMs = performance.now() - openStarted;
  const restoreStarted = performance.now();
  fsm.restoreFrom(target);
  const restoreMs = performance.now() - restoreStarted;
  console.log(`  reopen ${openMs.toFixed(1)} ms (applied ${applied}); restoreFrom ${restoreMs.toFixed(0)} ms; hash() ${hashMs.toFixed(0)} ms`);
  fsm.close();
}

function logRestart(entries: number): void {
  const path = join(dir, "restart-raft.db");
  let log = RaftLogStore.open(path);
  for (let from = 1; from <= entries; from += 1000) log.append(rawBatch(from, Math.min(1000, entries - from + 1)));
  log.close();
  const started = performance.now();
  log = RaftLogStore.open(path);
  const last = log.lastIndex();
  const tail = log.entries(Math.max(1, last - 63), last + 1);
  const openMs = performance.now() - started;
  console.log(`\nlog store restart: ${entries} entries; open + read the last ${tail.length} in ${openMs.toFixed(1)} ms`);
  log.close();
}
