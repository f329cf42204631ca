#!/usr/bin/env bun
// Which gRPC client library is lightest for the load generator? Runs the
// same Put and stale Get workloads through each library against the same
// server and reports the client's own CPU per request (the client shares
// the 2 cores with the server, so a heavy client caps what can be measured).
//
//   bun bench/client-cost.ts [--system etcd|raftkv] [--requests N] [--out FILE]
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { AckLog, type ClientLibrary, type LoadResult, openTarget, runLoad, type Workload } from "../src/bench/index.ts";
import { removeDir, tempDir } from "../test/support/temp-dir.ts";
import type { Cluster } from "./harness/cluster.ts";
import { startEtcdCluster } from "./harness/etcd-cluster.ts";
import { startRaftkvCluster } from "./harness/raftkv-cluster.ts";

const LIBRARIES: readonly ClientLibrary[] = ["http2", "connect", "grpc-js"];

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      system: { type: "string", default: "etcd" },
      requests: { type: "string", default: "20000" },
      out: { type: "string" },
      "raftkv-binary": { type: "string", default: "dist/raftkv" },
    },
  });
  const requests = Number(values.requests);
  const workDir = tempDir("client-cost");
  let cluster: Cluster | undefined;
  try {
    switch (values.system) {
      case "etcd":
        cluster = await startEtcdCluster({ size: 1, workDir, binary: "/usr/bin/etcd" });
        break;
      case "raftkv": {
        const binary = resolve(values["raftkv-binary"]);
        if (!existsSync(binary)) throw new Error(`${binary} does not exist: run npm run build first`);
        cluster = await startRaftkvCluster({ size: 1, workDir, binary });
        break;
      }
      default:
        throw new Error(`--system must be etcd or raftkv, got ${values.system}`);
    }
    const workloads: [string, Workload][] = [
      ["put 256 B", { kind: "put", keys: "random" }],
      ["get stale", { kind: "get", read: "stale" }],
    ];
    const lines = [
      `# Load generator client cost against ${values.system} (1 node), 100 in flight, ${requests} requests per row`,
      "",
      "| workload | client | req/s | p99 ms | client CPU µs per request |",
      "| --- | --- | ---: | ---: | ---: |",
    ];
    for (const [name, workload] of workloads) {
      // Two rounds in alternating order; the second round's figures are kept (JIT warm).
      const kept = new Map<ClientLibrary, LoadResult>();
      for (const round of [0, 1]) {
        for (const library of round === 0 ? LIBRARIES : [...LIBRARIES].reverse()) {
          const target = openTarget({ system: cluster.system, endpoint: cluster.endpoint, client: library, connections: 1, timeoutMs: 30_000 });
          try {
            const result = await runLoad(
              target,
              {
                workload,
                mode: { kind: "closed", inFlight: 100 },
                requests: round === 0 ? requests / 4 : requests,
                keyPrefix: "cc/",
                keySpaceSize: 10_000,
                valueSize: 256,
                seed: 1,
              },
              new AckLog(),
            );
            if (round === 1) kept.set(library, result);
          } finally {
            target.close();
          }
        }
      }
      for (const library of LIBRARIES) {
        const r = kept.get(library);
        if (r === undefined) continue;
        const perRequest = (r.clientCpuSeconds * 1e6) / Math.max(1, r.succeeded + r.errors);
        lines.push(`| ${name} | ${library} | ${r.throughput.toFixed(0)} | ${r.latency.p99Ms} | ${perRequest.toFixed(0)} |`);
      }
    }
    const text = `${lines.join("\n")}\n`;
    console.log(text);
    if (values.out !== undefined) writeFileSync(values.out, text);
  } finally {
    await cluster?.stop();
    removeDir(workDir);
  }
}

await main();
