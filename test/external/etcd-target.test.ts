import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { runCommand } from "citty";
import type { Cluster } from "../../bench/harness/cluster.ts";
import { startEtcdCluster } from "../../bench/harness/etcd-cluster.ts";
import { readProcStats } from "../../bench/harness/proc-stats.ts";
import { type ClientLibrary, openTarget, writeValue } from "../../src/bench/index.ts";
import { benchCommand } from "../../src/cli/bench-command.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The etcd message definitions in proto/etcd are written by hand from etcd's
// documentation; talking to a real etcd is what proves the field numbers.
describe("etcd target against a real single-node etcd", () => {
  let workDir = "";
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    workDir = tempDir("bench-etcd-test");
    cluster = await startEtcdCluster({ size: 1, workDir, binary: "/usr/bin/etcd" });
  }, 40_000);

  afterAll(async () => {
    await cluster?.stop();
    removeDir(workDir);
  });

  for (const client of ["http2", "connect", "grpc-js"] as const satisfies readonly ClientLibrary[]) {
    test(`put, get, range and revision through the ${client} client`, async () => {
      if (cluster === undefined) throw new Error("etcd did not start");
      const target = openTarget({ system: "etcd", endpoint: cluster.endpoint, client, connections: 1, timeoutMs: 5000 });
      try {
        const prefix = `${client}/`;
        const before = await target.revision();
        for (let i = 0; i < 5; i++) {
          await target.put(encoder.encode(`${prefix}k${i}`), writeValue(i + 1, 32));
        }
        expect(await target.revision()).toBe(before + 5);
        expect(await target.get(encoder.encode(`${prefix}k3`), "linearizable")).toEqual(writeValue(4, 32));
        expect(await target.get(encoder.encode(`${prefix}k3`), "stale")).toEqual(writeValue(4, 32));
        expect(await target.get(encoder.encode(`${prefix}missing`), "linearizable")).toBeUndefined();
        const page = await target.range(encoder.encode(`${prefix}k1`), encoder.encode(`${prefix}k9`), 2, "linearizable");
        expect(page.pairs.map((p) => decoder.decode(p.key))).toEqual([`${prefix}k1`, `${prefix}k2`]);
        expect(page.more).toBe(true);
      } finally {
        target.close();
      }
    });
  }

  test("raftkv bench --target etcd runs a workload and verifies its writes", async () => {
    if (cluster === undefined) throw new Error("etcd did not start");
    const printed: string[] = [];
    const log = spyOn(console, "log").mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    try {
      await runCommand(benchCommand, {
        rawArgs: [
          "--target",
          "etcd",
          "--endpoints",
          cluster.endpoint,
          "--workload",
          "mixed",
          "--requests",
          "300",
          "--in-flight",
          "8",
          "--keyspace",
          "50",
          "--key-prefix",
          "cli/",
          "--verify",
          "-w",
          "json",
        ],
      });
    } finally {
      log.mockRestore();
    }
    const report = JSON.parse(printed.join("\n")) as {
      system: string;
      result: { succeeded: number; errors: number; acknowledgedWrites: number };
      verification: { lost: unknown[]; acknowledgedWrites: number };
    };
    expect(report.system).toBe("etcd");
    expect(report.result.succeeded).toBe(300);
    expect(report.result.errors).toBe(0);
    expect(report.result.acknowledgedWrites).toBeGreaterThan(0);
    expect(report.verification.acknowledgedWrites).toBe(report.result.acknowledgedWrites);
    expect(report.verification.lost).toEqual([]);
  });

  test("the server's CPU and memory are readable from /proc", () => {
    const node = cluster?.nodes[0];
    if (node === undefined) throw new Error("etcd did not start");
    const stats = readProcStats(node.process.pid);
    expect(stats?.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(stats?.peakRssBytes).toBeGreaterThanOrEqual(stats?.rssBytes ?? Number.POSITIVE_INFINITY);
    expect(stats?.cpuSeconds).toBeGreaterThanOrEqual(0);
  });
});
