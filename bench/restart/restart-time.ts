/**
 * Restart time of a node on a large data set (issue 4, item 6): time from
 * process start to serving (first successful linearizable Get), and evidence
 * that no full log replay happens (applied index before the stop, in the
 * "serving" line, and at the first read; the log kept in raft.db).
 *
 *   bun bench/restart/restart-time.ts [--keys 1000000] [--log-entries 100000]
 *       [--trials 3] [--data-dir DIR (reuse a loaded one)] [--keep]
 *       [--binary dist/raftkv (the compiled executable instead of bun src/cli/main.ts)]
 *
 * The data set: (keys - log-entries) keys through Txns of 128 puts (few log
 * entries), then log-entries single Puts (one entry each). Snapshots are
 * pushed out of the way (threshold and trailing logs above the entry count)
 * so the whole log stays in raft.db: the worst case for a replay.
 * Everything lives under /tmp and is deleted at the end unless --keep.
 */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { freePort } from "../../test/support/free-port.ts";
import { removeDir, tempDir } from "../../test/support/temp-dir.ts";
import { BenchNode } from "./bench-node.ts";
import { loadWithPuts, loadWithTxns } from "./load-dataset.ts";

interface Options {
  readonly keys: number;
  readonly logEntries: number;
  readonly trials: number;
  readonly dataDir: string | undefined;
  readonly keep: boolean;
  readonly binary: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const count = (flag: string, fallback: number): number => {
    const text = value(flag);
    const parsed = text === undefined ? fallback : Number(text);
    if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${flag} must be a non-negative integer, got ${text}`);
    return parsed;
  };
  return {
    keys: count("--keys", 1_000_000),
    logEntries: count("--log-entries", 100_000),
    trials: count("--trials", 3),
    dataDir: value("--data-dir"),
    keep: argv.includes("--keep"),
    binary: value("--binary"),
  };
}

const utf8 = new TextEncoder();
const probeKey = utf8.encode("single/00000000");

interface LogShape {
  readonly entries: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
}

function logShapeOf(dataDir: string): LogShape {
  const db = new Database(join(dataDir, "raft.db"), { readonly: true });
  try {
    const row = db.query<{ n: number; lo: number | null; hi: number | null }, []>("SELECT COUNT(*) AS n, MIN(idx) AS lo, MAX(idx) AS hi FROM log").get();
    return { entries: row?.n ?? 0, firstIndex: row?.lo ?? 0, lastIndex: row?.hi ?? 0 };
  } finally {
    db.close();
  }
}

interface Trial {
  readonly stop: "SIGKILL" | "SIGTERM";
  readonly servingLogMs: number;
  readonly firstLinearizableGetMs: number;
  readonly appliedInServingLine: unknown;
  readonly appliedAtFirstGet: bigint;
  readonly replayLines: string[];
}

/** Spawns, then polls a linearizable Get until one succeeds: the time a client waits for the node. */
async function timedStart(node: BenchNode, stop: Trial["stop"]): Promise<Trial> {
  node.spawn();
  const t0 = node.spawnedAtMs;
  const client = node.client();
  const deadline = t0 + 120_000;
  for (;;) {
    if (node.exitedOnItsOwn !== undefined) throw new Error(`${node.id} exited (code ${node.exitedOnItsOwn}):\n${node.tail()}`);
    if (performance.now() > deadline) throw new Error(`${node.id} did not answer a linearizable Get within 120 s:\n${node.tail()}`);
    try {
      const answer = await client.get({ key: probeKey, consistency: Consistency.LINEARIZABLE }, { timeoutMs: 1000 });
      const firstGetMs = performance.now() - t0;
      const serving = await node.servingLine(t0);
      const replayLines = node.lines
        .filter((l) => l.atMs >= t0 && typeof l.fields.msg === "string" && /restor|replay|apply/i.test(l.fields.msg))
        .map((l) => JSON.stringify(l.fields));
      return {
        stop,
        servingLogMs: Math.round(serving.atMs - t0),
        firstLinearizableGetMs: Math.round(firstGetMs),
        appliedInServingLine: serving.fields.appliedIndex,
        appliedAtFirstGet: answer.header?.index ?? 0n,
        replayLines,
      };
    } catch {
      await Bun.sleep(5);
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const root = options.dataDir ?? tempDir("restart-bench");
  const dataDir = join(root, "node");
  const fresh = !existsSync(join(dataDir, "raft.db"));
  const clientPort = freePort();
  const raftPort = freePort();
  const node = new BenchNode(
    "r1",
    clientPort,
    [
      "--data-dir",
      dataDir,
      "--raft-listen",
      `127.0.0.1:${raftPort}`,
      "--snapshot-threshold",
      String(options.logEntries * 10 + 1_000_000),
      "--trailing-logs",
      String(options.logEntries * 10 + 1_000_000),
      "--snapshot-interval",
      "1000h",
      "--log-level",
      "info",
    ],
    options.binary,
  );
  try {
    // Baseline: the same entry point on an empty data dir (Bun start-up, SQLite open, election of one).
    const emptyNode = new BenchNode("empty", freePort(), ["--data-dir", join(root, "empty"), "--raft-listen", `127.0.0.1:${freePort()}`], options.binary);
    const emptyTrial = await timedStart(emptyNode, "SIGKILL");
    await emptyNode.stop("SIGKILL");
    console.log(`empty node: serving after ${emptyTrial.servingLogMs} ms, first linearizable Get after ${emptyTrial.firstLinearizableGetMs} ms`);

    node.spawn();
    await node.servingLine(node.spawnedAtMs);
    if (fresh) {
      const bulk = options.keys - options.logEntries;
      const started = performance.now();
      console.log(`loading ${bulk} keys by Txns of 128 puts, then ${options.logEntries} single Puts, into ${dataDir}`);
      await loadWithTxns(node, bulk, 128, 16);
      const txnDone = performance.now();
      await loadWithPuts(node, options.logEntries, 64);
      const done = performance.now();
      console.log(
        `loaded in ${Math.round((done - started) / 1000)} s (txns ${Math.round((txnDone - started) / 1000)} s, ` +
          `puts ${Math.round((done - txnDone) / 1000)} s = ${Math.round(options.logEntries / ((done - txnDone) / 1000))} puts/s)`,
      );
    }
    const client = node.client();
    const counted = await client.range({ countOnly: true, consistency: Consistency.LINEARIZABLE }, { timeoutMs: 60_000 });
    console.log(`keys: ${counted.count}`);

    const trials: Trial[] = [];
    const stops: Trial["stop"][] = [];
    for (let i = 0; i < options.trials; i++) stops.push("SIGKILL", "SIGTERM");
    for (const stop of stops) {
      const before = await node.client().get({ key: probeKey, consistency: Consistency.STALE }, { timeoutMs: 5000 });
      const appliedBefore = before.header?.index ?? 0n;
      await node.stop(stop);
      const shape = logShapeOf(dataDir);
      const trial = await timedStart(node, stop);
      trials.push(trial);
      console.log(
        `${stop.padEnd(7)} restart: serving log line after ${trial.servingLogMs} ms, first linearizable Get after ${trial.firstLinearizableGetMs} ms; ` +
          `applied index before stop ${appliedBefore}, in the serving line ${String(trial.appliedInServingLine)}, at the first Get ${trial.appliedAtFirstGet}; ` +
          `raft.db log: ${shape.entries} entries [${shape.firstIndex}, ${shape.lastIndex}]` +
          (trial.replayLines.length > 0 ? `; log lines: ${trial.replayLines.join(" | ")}` : "; no restore/replay log line"),
      );
    }
    const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
    const firstGets = sorted(trials.map((t) => t.firstLinearizableGetMs));
    console.log(`first linearizable Get after restart, ms (sorted): ${firstGets.join(", ")}; baseline empty node ${emptyTrial.firstLinearizableGetMs}`);
  } finally {
    await node.stop("SIGTERM");
    if (!options.keep) removeDir(root);
    else console.log(`data kept in ${root}`);
  }
}

await main();
