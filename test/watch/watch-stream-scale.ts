/**
 * Many real Watch streams against one `raftkv serve` process (a benchmark,
 * not a test):  bun test/watch/watch-stream-scale.ts [streams] [perConnection]
 * Reports the server's RSS growth per open watch stream (gRPC over HTTP/2,
 * one key per watch, `perConnection` streams multiplexed per connection) and
 * how long one write takes to reach every watcher of a shared prefix.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ServeProcess } from "../cluster/serve-process.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { kvClient, WatchReader } from "./watch-reader.ts";

const streams = Number(process.argv[2] ?? 10_000);
const perConnection = Number(process.argv[3] ?? 500);
const utf8 = new TextEncoder();

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

const root = tempDir("watch-scale");
const server = new ServeProcess({ id: "scale", dataDir: join(root, "n1"), flags: ["--raft-listen", "127.0.0.1:0"], logLevel: "info" });
await server.start();
const pid = server.pid ?? 0;
try {
  const writer = kvClient(server.endpoint);
  await writer.put({ key: utf8.encode("warmup"), value: utf8.encode("v") });
  let started = performance.now();
  for (let i = 0; i < 200; i++) await writer.put({ key: utf8.encode(`own/${i * 2}`), value: utf8.encode("v") });
  const baselinePutMs = (performance.now() - started) / 200;
  await Bun.sleep(1000);
  const before = rssKiB(pid);
  const readers: WatchReader[] = [];
  started = performance.now();
  for (let c = 0; c * perConnection < streams; c++) {
    const client = kvClient(server.endpoint);
    const batch: WatchReader[] = [];
    for (let i = c * perConnection; i < Math.min(streams, (c + 1) * perConnection); i++) {
      // Half watch their own key, half share one prefix (the fan-out case below).
      const request = i % 2 === 0 ? { key: utf8.encode(`own/${i}`) } : { key: utf8.encode("shared/"), prefix: true };
      batch.push(new WatchReader(client, { ...request, progressIntervalMs: 600_000 }));
    }
    await Promise.all(batch.map((r) => r.next(120_000)));
    readers.push(...batch);
  }
  const openMs = performance.now() - started;
  await Bun.sleep(2000);
  const after = rssKiB(pid);
  console.log(
    `${streams} watch streams open in ${(openMs / 1000).toFixed(1)} s; server RSS ${before} KiB → ${after} KiB: ${(((after - before) * 1024) / streams).toFixed(0)} B per stream`,
  );

  const sharers = readers.filter((_, i) => i % 2 === 1);
  started = performance.now();
  await writer.put({ key: utf8.encode("shared/x"), value: utf8.encode("fan-out") });
  await Promise.all(sharers.map((r) => r.events(1, 120_000)));
  console.log(`one write delivered to ${sharers.length} prefix watchers in ${(performance.now() - started).toFixed(0)} ms`);

  started = performance.now();
  const owners = readers.filter((_, i) => i % 2 === 0).slice(0, 200);
  for (let i = 0; i < owners.length; i++) await writer.put({ key: utf8.encode(`own/${i * 2}`), value: utf8.encode("v") });
  const putMs = (performance.now() - started) / owners.length;
  console.log(
    `sequential puts, each seen by one watcher: ${putMs.toFixed(2)} ms per put with ${streams} watches open, ${baselinePutMs.toFixed(2)} ms before any`,
  );
  for (const r of readers) r.cancel();
} finally {
  await server.kill();
  removeDir(root);
}
