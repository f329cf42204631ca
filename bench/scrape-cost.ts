/**
 * What a Prometheus scrape costs under write load: Put throughput on a
 * 3-node cluster with every node's /metrics fetched once a second, against
 * the same load with no scraping. A benchmark, not a test.
 *
 *   npm run build && bun bench/scrape-cost.ts [--binary dist/raftkv] [--rounds 4]
 *
 * Rounds alternate (none, scrape, none, scrape, ...) on one cluster so the
 * box's drift hits both alike; each round is `raftkv bench` at 100 in flight.
 * Prints each round, the medians, their ratio, and how long a scrape took.
 */
import { loadavg } from "node:os";
import { removeDir, tempDir } from "../test/support/temp-dir.ts";
import type { Cluster } from "./harness/cluster.ts";
import { startRaftkvCluster } from "./harness/raftkv-cluster.ts";

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const binary = flag("--binary", "dist/raftkv");
const rounds = Number(flag("--rounds", "4"));
const requests = Number(flag("--requests", "20000"));

async function putRate(cluster: Cluster): Promise<number> {
  const args = [binary, "bench", "--endpoints", cluster.endpoint, "--workload", "put", "--in-flight", "100", "--requests", String(requests), "-w", "json"];
  const child = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error(`${args.join(" ")} failed (exit ${code}): ${out}${await new Response(child.stderr).text()}`);
  return (JSON.parse(out) as { result: { throughput: number } }).result.throughput;
}

/** Scrapes every node once a second until stopped; returns each scrape's duration in ms. */
function scrapeEverySecond(cluster: Cluster): { stop(): Promise<number[]> } {
  const durations: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const tick = Bun.sleep(1000);
      await Promise.all(
        cluster.nodes.map(async (node) => {
          const started = performance.now();
          const body = await (await fetch(`http://${node.clientEndpoint}/metrics`)).text();
          if (!body.includes("raftkv_raft_term")) throw new Error(`${node.id}: /metrics without raftkv_raft_term`);
          durations.push(performance.now() - started);
        }),
      );
      await tick;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return durations;
    },
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const workDir = tempDir("scrape-cost");
const cluster = await startRaftkvCluster({ size: 3, workDir, binary });
try {
  await putRate(cluster); // warm-up: fills the key space and the caches
  const none: number[] = [];
  const scraped: number[] = [];
  const scrapeMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const rate = await putRate(cluster);
    none.push(rate);
    const scraper = scrapeEverySecond(cluster);
    const withScrape = await putRate(cluster);
    scrapeMs.push(...(await scraper.stop()));
    scraped.push(withScrape);
    console.log(
      `round ${round + 1}: no scrape ${Math.round(rate)} Put/s, scrape every 1 s ${Math.round(withScrape)} Put/s  (load ${(loadavg()[0] ?? 0).toFixed(2)})`,
    );
  }
  const ratio = median(scraped) / median(none);
  console.log(`median: no scrape ${Math.round(median(none))} Put/s, scraped ${Math.round(median(scraped))} Put/s, ratio ${ratio.toFixed(3)}`);
  console.log(`scrape duration over ${scrapeMs.length} scrapes: median ${median(scrapeMs).toFixed(1)} ms, max ${Math.max(...scrapeMs).toFixed(1)} ms`);
} finally {
  await cluster.stop();
  removeDir(workDir);
}
