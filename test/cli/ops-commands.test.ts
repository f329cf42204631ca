import { afterAll, beforeAll, expect, test } from "bun:test";
import { ProxiedCluster } from "../cluster/proxied-cluster.ts";
import { eventually } from "../support/eventually.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";
import { runCli } from "../support/run-cli.ts";

let cluster: ProxiedCluster;
let one = "";

beforeAll(async () => {
  cluster = await ProxiedCluster.start({ size: 3, flags: fastRaftArgs });
  one = (await cluster.awaitLeader()).endpoint;
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const escapeChar = "\u001b";

test("endpoint status --cluster: one table row per member (id, address, leader, term, index, db size, errors), found from one endpoint", async () => {
  const table = await runCli(["endpoint", "status", "--cluster", "--endpoints", one]);
  expect(table.exitCode).toBe(0);
  const lines = table.stdout.trim().split("\n");
  expect(lines[1]).toMatch(/ENDPOINT .*ID .*DB SIZE .*IS LEADER .*RAFT TERM .*RAFT INDEX .*ERRORS/);
  const rows = lines.filter((line) => /^\| 127\.0\.0\.1:/.test(line));
  expect(rows.length).toBe(3);
  expect(rows.filter((row) => row.includes("| true ")).length).toBe(1);
  for (const node of cluster.nodes) expect(table.stdout).toContain(node.endpoint);
  expect(table.stdout).not.toContain(escapeChar);

  const json = await runCli(["endpoint", "status", "--cluster", "--endpoints", one, "-w", "json"]);
  const parsed = JSON.parse(json.stdout) as { endpoint: string; status: { id: string; dbSizeBytes: string; build: { version: string } } }[];
  expect(parsed.map((row) => row.status.id).sort()).toEqual(["n1", "n2", "n3"]);
  expect(Number(parsed[0]?.status.dbSizeBytes)).toBeGreaterThan(0);
  expect(parsed[0]?.status.build.version).toBe("0.1.0");
}, 60_000);

test("endpoint status names an endpoint that does not answer in its row and exits 1; endpoint health checks every member", async () => {
  const status = await runCli(["endpoint", "status", "--endpoints", `${one},127.0.0.1:1`, "--timeout", "2s", "-w", "simple"]);
  expect(status.exitCode).toBe(1);
  const bad = status.stdout.split("\n").find((line) => line.startsWith("127.0.0.1:1,"));
  expect(bad).toContain("Unavailable");
  // Healthy once every member is ready (on a loaded box an election may be under way at first).
  const health = await eventually(
    "every member healthy",
    async () => {
      const answer = await runCli(["endpoint", "health", "--cluster", "--endpoints", one]);
      return answer.exitCode === 0 ? answer : undefined;
    },
    30_000,
  );
  const lines = health.stdout.trim().split("\n");
  expect(lines.length).toBe(3);
  for (const line of lines) expect(line).toMatch(/^127\.0\.0\.1:\d+ is healthy: a linearizable read took [\d.]+ms$/);
}, 60_000);

test("version, lease grant -w simple (the id alone, for $(...)), compact, cluster status with the disk facts", async () => {
  const version = await runCli(["version", "-w", "json"]);
  expect(JSON.parse(version.stdout)).toEqual({ version: "0.1.0", gitCommit: expect.stringMatching(/^([0-9a-f]{7,40}|unknown)$/), bunVersion: Bun.version });
  const grant = await runCli(["lease", "grant", "60", "-w", "simple", "--endpoints", one]);
  expect(grant.stdout).toMatch(/^\d+\n$/);
  const put = await runCli(["put", "leased", "v", "--lease", grant.stdout.trim(), "--endpoints", one]);
  expect(put.exitCode).toBe(0);
  const compact = await runCli(["compact", put.stdout.trim(), "--endpoints", one]);
  expect(compact.stdout).toBe(`compacted history before index ${put.stdout.trim()}\n`);
  const status = await runCli(["cluster", "status", "--endpoints", one]);
  for (const line of [
    /^db size: .* \(\d+ bytes\), in use /m,
    /^quota: 8\.0 GiB \(8589934592 bytes\)$/m,
    /^fsync p99: [\d.]+ ms$/m,
    /^alarm: none$/m,
    /^version: 0\.1\.0 /m,
  ]) {
    expect(status.stdout).toMatch(line);
  }
  const table = await runCli(["get", "leased", "-w", "table", "--endpoints", one]);
  expect(table.stdout).toContain("| leased | v     |");
}, 60_000);

test("bench takes --endpoints and -w json like every other command; help has no colour in a pipe", async () => {
  const bench = await runCli(["bench", "--endpoints", one, "--requests", "200", "--in-flight", "4", "-w", "json"], { timeoutMs: 60_000 });
  expect(bench.exitCode).toBe(0);
  const result = JSON.parse(bench.stdout) as { result: { succeeded: number } };
  expect(result.result.succeeded).toBe(200);
  // The live progress line is for terminals only: nothing on a piped stderr.
  expect(bench.stderr).toBe("");
  const help = await runCli(["endpoint", "status", "--help"]);
  expect(help.stdout).toContain("--cluster");
  expect(help.stdout).not.toContain(escapeChar);
}, 60_000);
