import { afterAll, beforeAll, expect, test } from "bun:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../src/gen/grpc/health/v1/health_pb.ts";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { ProxiedCluster } from "../cluster/proxied-cluster.ts";
import type { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";
import { histogramCount, sampleValue, scrape } from "./scrape.ts";

const utf8 = new TextEncoder();
let cluster: ProxiedCluster;

beforeAll(async () => {
  // Timings meant for a loaded machine: a leader is not deposed by a slow turn of the event loop.
  cluster = await ProxiedCluster.start({ size: 3, flags: fastRaftArgs });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function health(node: ServeProcess) {
  return createClient(Health, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
}

async function readyz(node: ServeProcess): Promise<{ status: number; body: { ready: boolean; reason: string } }> {
  const response = await fetch(`http://${node.endpoint}/readyz`);
  return { status: response.status, body: (await response.json()) as { ready: boolean; reason: string } };
}

test("GET /metrics parses as Prometheus text and carries the Raft, disk, RPC, quota and process metrics, each protocol labelled", async () => {
  await cluster.awaitLeader();
  // The counters are kept by the node a call reaches (it forwards writes to the leader).
  const target = cluster.node("n1");
  const base = `http://${target.endpoint}`;
  // One write per protocol: gRPC (the fast path), gRPC-Web, Connect and REST; retried across an election on a loaded box.
  const put = (what: string, write: () => Promise<unknown>) =>
    eventually(`a ${what} put`, async () =>
      (await write().then(
        () => true,
        () => undefined,
      ))
        ? true
        : undefined,
    );
  await put("gRPC", () => createClient(KV, createGrpcTransport({ baseUrl: base })).put({ key: utf8.encode("m/grpc"), value: utf8.encode("1") }));
  await put("gRPC-Web", () =>
    createClient(KV, createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" })).put({ key: utf8.encode("m/web"), value: utf8.encode("1") }),
  );
  await put("Connect", () =>
    createClient(KV, createConnectTransport({ baseUrl: base, httpVersion: "1.1" })).put({ key: utf8.encode("m/connect"), value: utf8.encode("1") }),
  );
  await put("REST", async () => {
    if ((await fetch(`${base}/v1/kv/m%2Frest`, { method: "PUT", body: "1" })).status !== 200) throw new Error("not yet");
  });
  expect((await fetch(`${base}/v1/kv/m%2Fmissing`)).status).toBe(404);

  const served = await scrape(target.endpoint);
  for (const protocol of ["grpc", "grpc-web", "connect", "rest"]) {
    expect(sampleValue(served, "raftkv_rpc_requests_total", { service: "raftkv.v1.KV", method: "Put", code: "ok", protocol })).toBeGreaterThanOrEqual(1);
  }
  expect(sampleValue(served, "raftkv_rpc_requests_total", { method: "Get", code: "not_found", protocol: "rest" })).toBe(1);
  expect(served.get("raftkv_rpc_duration_seconds")?.type).toBe("HISTOGRAM");

  // The leader's own view, scraped while it still leads.
  const { leader, families } = await eventually("a scrape of the leader while it leads", async () => {
    const current = await cluster.awaitLeader();
    const scraped = await scrape(current.endpoint);
    return sampleValue(scraped, "raftkv_raft_state", { role: "leader" }) === 1 ? { leader: current, families: scraped } : undefined;
  });
  const follower = cluster.follower(leader.id);
  expect(sampleValue(families, "raftkv_raft_state", { role: "leader" })).toBe(1);
  expect(sampleValue(families, "raftkv_raft_state", { role: "follower" })).toBe(0);
  const term = sampleValue(families, "raftkv_raft_term") ?? 0;
  expect(term).toBeGreaterThanOrEqual(1);
  expect(sampleValue(families, "raftkv_raft_applied_index")).toBeGreaterThanOrEqual(5);
  expect(sampleValue(families, "raftkv_raft_commit_index")).toBeGreaterThanOrEqual(sampleValue(families, "raftkv_raft_applied_index") ?? Infinity);
  expect(sampleValue(families, "raftkv_raft_leader_changes_total")).toBeGreaterThanOrEqual(1);
  expect(
    families
      .get("raftkv_raft_proposals_total")
      ?.metrics.map((m) => m.labels?.outcome)
      .sort(),
  ).toEqual(["applied", "failed", "not_leader", "timeout", "unknown"]);
  expect(sampleValue(served, "raftkv_raft_proposals_total", { outcome: "applied" })).toBeGreaterThanOrEqual(target.id === leader.id ? 4 : 0);
  expect(histogramCount(families, "raftkv_raft_append_seconds")).toBeGreaterThan(0);
  expect(histogramCount(families, "raftkv_disk_fsync_seconds")).toBeGreaterThan(0);
  expect(families.get("raftkv_raft_snapshot_seconds")?.type).toBe("HISTOGRAM");
  // The leader tracks both followers.
  for (const peer of cluster.others(leader.id)) {
    expect(sampleValue(families, "raftkv_raft_peer_last_contact_seconds", { peer: peer.id })).toBeLessThan(5);
    expect(sampleValue(families, "raftkv_raft_peer_replication_lag_entries", { peer: peer.id })).toBeGreaterThanOrEqual(0);
  }
  expect(sampleValue(families, "raftkv_db_size_bytes")).toBeGreaterThan(0);
  expect(sampleValue(families, "raftkv_db_size_in_use_bytes")).toBeLessThanOrEqual(sampleValue(families, "raftkv_db_size_bytes") ?? 0);
  expect(sampleValue(families, "raftkv_quota_bytes")).toBe(8 * 1024 ** 3);
  expect(sampleValue(families, "raftkv_quota_alarm")).toBe(0);
  expect(sampleValue(families, "raftkv_watches_open")).toBeGreaterThanOrEqual(0);
  expect(sampleValue(families, "raftkv_leases_open")).toBe(0);
  expect(sampleValue(families, "process_cpu_seconds_total")).toBeGreaterThan(0);
  expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(0);
  expect(families.get("raftkv_build_info")?.metrics[0]?.labels?.version).toBe("0.1.0");
  for (const [name, family] of families) {
    // Prometheus conventions: snake case, counters end in _total, units as suffixes.
    expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
    if (family.type === "COUNTER") expect(name).toEndWith("_total");
  }

  // A follower reports its own view: no peers, a follower role, a term no older.
  const seen = await scrape(follower.endpoint);
  expect(sampleValue(seen, "raftkv_raft_state", { role: "leader" })).toBe(0);
  expect(seen.get("raftkv_raft_peer_last_contact_seconds")?.metrics.length ?? 0).toBe(0);
  expect(sampleValue(seen, "raftkv_raft_term")).toBeGreaterThanOrEqual(term);
}, 60_000);

test('readiness: /readyz and gRPC health ("") flip to not ready when two of three nodes stop and back once they return; /healthz stays up', async () => {
  const leader = await cluster.awaitLeader();
  for (const node of cluster.nodes) {
    await eventually(`${node.id} ready`, async () => ((await readyz(node)).status === 200 ? true : undefined));
    await eventually(`${node.id} SERVING`, async () => ((await health(node).check({ service: "" })).status === ServingStatus.SERVING ? true : undefined));
  }
  const survivor = cluster.follower(leader.id);
  const stopped = cluster.others(survivor.id);
  for (const node of stopped) await node.kill();

  const notReady = await eventually(`${survivor.id} not ready`, async () => {
    const answer = await readyz(survivor);
    return answer.status === 503 ? answer.body : undefined;
  });
  expect(notReady.ready).toBe(false);
  expect(notReady.reason).toMatch(/leader|quorum/);
  expect((await health(survivor).check({ service: "" })).status).toBe(ServingStatus.NOT_SERVING);
  // Liveness is not readiness: the process still serves, so it is alive.
  expect((await fetch(`http://${survivor.endpoint}/healthz`)).status).toBe(200);
  expect((await health(survivor).check({ service: "raftkv.v1.KV" })).status).toBe(ServingStatus.SERVING);

  for (const node of stopped) await node.start();
  await cluster.awaitLeader();
  for (const node of cluster.nodes) {
    await eventually(`${node.id} ready again`, async () => ((await readyz(node)).status === 200 ? true : undefined), 20_000);
  }
  await eventually(`${survivor.id} SERVING again`, async () =>
    (await health(survivor).check({ service: "" })).status === ServingStatus.SERVING ? true : undefined,
  );
}, 90_000);
