/**
 * What TLS and authorization cost: 3-node Put throughput (h2load, 256-byte
 * values, the same gRPC body for both systems) for raftkv in clear, with TLS
 * on both ports, and with TLS plus tokens, against a 3-node etcd in clear and
 * with TLS on both ports; same run, alternating order, several rounds.
 *
 *   npm run build && bun bench/tls-put.ts [--rounds 3] [--requests 20000] [--out DIR]
 *
 * Each row checks that the writes were applied (index/revision moved by at
 * least the requests h2load counted as succeeded): h2load cannot see
 * grpc-status, so a refused token would otherwise look fast.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV as EtcdKV } from "../src/gen/etcd/etcdserverpb/rpc_pb.ts";
import { KV } from "../src/gen/raftkv/v1/kv_pb.ts";
import { removeDir, tempDir } from "../test/support/temp-dir.ts";
import { TestPki } from "../test/support/test-pki.ts";
import type { Cluster } from "./harness/cluster.ts";
import { startEtcdCluster } from "./harness/etcd-cluster.ts";
import { putBody, putPath } from "./harness/grpc-put-body.ts";
import { runH2load } from "./harness/h2load.ts";
import { readProcStats } from "./harness/proc-stats.ts";
import { startRaftkvCluster } from "./harness/raftkv-cluster.ts";

type Variant = "plain" | "tls" | "tls+auth";
interface Configuration {
  readonly name: string;
  readonly system: "raftkv" | "etcd";
  readonly variant: Variant;
}
interface Row {
  readonly configuration: string;
  readonly round: number;
  readonly inFlight: number;
  readonly throughput: number;
  readonly meanMs: number;
  readonly succeeded: number;
  readonly applied: number;
  readonly loadAverage: number;
  /** Server CPU (user + system, all three nodes) per request: less swayed by other load than throughput. */
  readonly cpuMsPerRequest: number;
}

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "20000" },
    out: { type: "string" },
    "raftkv-binary": { type: "string", default: "dist/raftkv" },
    "etcd-binary": { type: "string", default: "/usr/bin/etcd" },
    "h2load-binary": { type: "string", default: "/usr/bin/h2load" },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const levels = [
  { clients: 4, streamsPerClient: 4 },
  { clients: 10, streamsPerClient: 10 },
];
const configurations: Configuration[] = [
  { name: "raftkv", system: "raftkv", variant: "plain" },
  { name: "raftkv TLS", system: "raftkv", variant: "tls" },
  { name: "raftkv TLS+auth", system: "raftkv", variant: "tls+auth" },
  { name: "etcd", system: "etcd", variant: "plain" },
  { name: "etcd TLS", system: "etcd", variant: "tls" },
];

const work = tempDir("tls-bench");
const pki = TestPki.create(join(work, "pki"), "bench");
const writerToken = "bench-writer-0123456789abcdef0123456789";
const adminToken = "bench-admin-0123456789abcdef0123456789";
const tokenFile = join(work, "tokens.json");
// A realistic file: a few hundred tokens and roles, so the lookup is not a one-entry map.
writeFileSync(
  tokenFile,
  JSON.stringify({
    roles: {
      ops: [{ prefix: "", permission: "admin" }],
      writer: [
        { prefix: "h2load/", permission: "write" },
        { prefix: "bench/", permission: "read" },
      ],
      ...Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`team-${i}`, [{ prefix: `team-${i}/`, permission: "write" }]])),
    },
    tokens: [
      { name: "admin", token: adminToken, roles: ["ops"] },
      { name: "writer", token: writerToken, roles: ["writer"] },
      ...Array.from({ length: 300 }, (_, i) => ({ name: `svc-${i}`, token: `svc-${i}-token-0123456789abcdef`, roles: [`team-${i % 200}`] })),
    ],
  }),
);
const certs = new Map<string, { certFile: string; keyFile: string }>();
function certFor(id: string): { certFile: string; keyFile: string } {
  let issued = certs.get(id);
  if (issued === undefined) {
    issued = pki.issue(id, { sans: [`DNS:${id}`, "DNS:localhost", "IP:127.0.0.1"], days: 30 });
    certs.set(id, issued);
  }
  return issued;
}

function raftkvFlags(variant: Variant, id: string): string[] {
  if (variant === "plain") return [];
  const { certFile, keyFile } = certFor(id);
  const tls = [
    "--cert-file",
    certFile,
    "--key-file",
    keyFile,
    "--trusted-ca-file",
    pki.caFile,
    "--peer-cert-file",
    certFile,
    "--peer-key-file",
    keyFile,
    "--peer-trusted-ca-file",
    pki.caFile,
  ];
  return variant === "tls+auth" ? [...tls, "--auth-token-file", tokenFile] : tls;
}

async function start(configuration: Configuration, dir: string): Promise<Cluster> {
  const tls = configuration.variant !== "plain";
  if (configuration.system === "etcd") {
    return startEtcdCluster({
      size: 3,
      workDir: dir,
      binary: values["etcd-binary"] ?? "",
      ...(tls ? { tls: { caFile: pki.caFile, ca: pki.caCert, certFor } } : {}),
    });
  }
  return startRaftkvCluster({
    size: 3,
    workDir: dir,
    binary: values["raftkv-binary"] ?? "",
    flagsFor: (id) => raftkvFlags(configuration.variant, id),
    access: { ...(tls ? { ca: pki.caCert } : {}), ...(configuration.variant === "tls+auth" ? { token: adminToken } : {}) },
  });
}

/** The index (raftkv) or revision (etcd) the leader has applied. */
async function appliedIndex(configuration: Configuration, endpoint: string): Promise<number> {
  const tls = configuration.variant !== "plain";
  const bearer: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${adminToken}`);
    return next(request);
  };
  const transport = createGrpcTransport({
    baseUrl: `${tls ? "https" : "http"}://${endpoint}`,
    ...(tls ? { nodeOptions: { ca: pki.caCert } } : {}),
    ...(configuration.variant === "tls+auth" ? { interceptors: [bearer] } : {}),
  });
  const key = new TextEncoder().encode("bench/probe");
  if (configuration.system === "raftkv") return Number((await createClient(KV, transport).get({ key })).header?.index ?? 0n);
  return Number((await createClient(EtcdKV, transport).range({ key, countOnly: true })).header?.revision ?? 0n);
}

async function measure(configuration: Configuration, round: number): Promise<Row[]> {
  const dir = join(work, `${configuration.name.replace(/\W+/g, "-")}-${round}`);
  mkdirSync(dir, { recursive: true });
  const cluster = await start(configuration, dir);
  const rows: Row[] = [];
  try {
    const bodyFile = join(dir, "put.bin");
    writeFileSync(bodyFile, putBody(configuration.system, 256));
    const scheme = configuration.variant === "plain" ? "http" : "https";
    for (const level of levels) {
      const before = await appliedIndex(configuration, cluster.endpoint);
      const loadAverage = os.loadavg()[0] ?? 0;
      const cpuBefore = clusterCpuSeconds(cluster);
      const result = await runH2load({
        binary: values["h2load-binary"] ?? "",
        url: `${scheme}://${cluster.endpoint}${putPath(configuration.system)}`,
        bodyFile,
        requests,
        ...level,
        headers: configuration.variant === "tls+auth" ? [`authorization: Bearer ${writerToken}`] : [],
      });
      const cpuSeconds = clusterCpuSeconds(cluster) - cpuBefore;
      const applied = (await appliedIndex(configuration, cluster.endpoint)) - before;
      if (applied < result.succeeded) {
        throw new Error(`${configuration.name}: h2load counted ${result.succeeded} successes but only ${applied} writes were applied`);
      }
      const cpuMsPerRequest = (cpuSeconds * 1000) / Math.max(1, result.succeeded);
      const row = {
        configuration: configuration.name,
        round,
        inFlight: result.inFlight,
        throughput: result.throughput,
        meanMs: result.meanMs,
        succeeded: result.succeeded,
        applied,
        loadAverage,
        cpuMsPerRequest,
      };
      console.log(
        `round ${round} ${configuration.name.padEnd(16)} ${String(row.inFlight).padStart(3)} in flight ${row.throughput.toFixed(0).padStart(6)} req/s mean ${row.meanMs.toFixed(2)} ms cpu ${cpuMsPerRequest.toFixed(3)} ms/req load ${loadAverage.toFixed(1)}`,
      );
      rows.push(row);
    }
  } finally {
    await cluster.stop();
  }
  return rows;
}

function clusterCpuSeconds(cluster: Cluster): number {
  return cluster.nodes.reduce((sum, node) => sum + (readProcStats(node.process.pid)?.cpuSeconds ?? 0), 0);
}

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function report(rows: readonly Row[]): string {
  const lines: string[] = [];
  const of = (name: string, inFlight: number): number[] => rows.filter((r) => r.configuration === name && r.inFlight === inFlight).map((r) => r.throughput);
  const cpuOf = (name: string, inFlight: number): number[] =>
    rows.filter((r) => r.configuration === name && r.inFlight === inFlight).map((r) => r.cpuMsPerRequest);
  lines.push(`# TLS and auth cost, 3 nodes, Put 256 B (h2load), ${rounds} rounds, ${requests} requests per row`, "");
  lines.push(
    `Machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average during rows ${Math.min(...rows.map((r) => r.loadAverage)).toFixed(1)}–${Math.max(...rows.map((r) => r.loadAverage)).toFixed(1)}.`,
    "",
  );
  lines.push(
    "| in flight | configuration | req/s (median) | every round | server CPU ms per Put, 3 nodes (median) | every round |",
    "| ---: | --- | ---: | --- | ---: | --- |",
  );
  for (const level of levels) {
    const inFlight = level.clients * level.streamsPerClient;
    for (const c of configurations) {
      const all = of(c.name, inFlight);
      const cpu = cpuOf(c.name, inFlight);
      lines.push(
        `| ${inFlight} | ${c.name} | ${median(all).toFixed(0)} | ${all.map((t) => t.toFixed(0)).join(", ")} | ${median(cpu).toFixed(3)} | ${cpu.map((t) => t.toFixed(3)).join(", ")} |`,
      );
    }
  }
  lines.push(
    "",
    "| in flight | raftkv TLS ÷ clear | etcd TLS ÷ clear | raftkv TLS+auth ÷ TLS | raftkv TLS ÷ etcd TLS |",
    "| ---: | ---: | ---: | ---: | ---: |",
  );
  for (const level of levels) {
    const inFlight = level.clients * level.streamsPerClient;
    const m = (name: string): number => median(of(name, inFlight));
    lines.push(
      `| ${inFlight} | ${(m("raftkv TLS") / m("raftkv")).toFixed(2)} | ${(m("etcd TLS") / m("etcd")).toFixed(2)} | ${(m("raftkv TLS+auth") / m("raftkv TLS")).toFixed(2)} | ${(m("raftkv TLS") / m("etcd TLS")).toFixed(2)} |`,
    );
  }
  lines.push(
    "",
    "Server CPU per Put, ratios of medians (lower is cheaper):",
    "",
    "| in flight | raftkv TLS ÷ clear | etcd TLS ÷ clear | raftkv TLS+auth ÷ TLS |",
    "| ---: | ---: | ---: | ---: |",
  );
  for (const level of levels) {
    const inFlight = level.clients * level.streamsPerClient;
    const c = (name: string): number => median(cpuOf(name, inFlight));
    lines.push(
      `| ${inFlight} | ${(c("raftkv TLS") / c("raftkv")).toFixed(2)} | ${(c("etcd TLS") / c("etcd")).toFixed(2)} | ${(c("raftkv TLS+auth") / c("raftkv TLS")).toFixed(2)} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

try {
  const rows: Row[] = [];
  for (let round = 1; round <= rounds; round++) {
    // The order rotates each round so no configuration always runs on a warmer (or busier) machine.
    const order = configurations.map((_, i) => configurations[(i + round - 1) % configurations.length]).filter((c): c is Configuration => c !== undefined);
    for (const configuration of order) rows.push(...(await measure(configuration, round)));
  }
  const text = report(rows);
  console.log(`\n${text}`);
  if (values.out !== undefined) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, "results.md"), text);
    writeFileSync(join(values.out, "results.json"), JSON.stringify({ rounds, requests, levels, rows }, null, 2));
  }
} finally {
  removeDir(work);
}
