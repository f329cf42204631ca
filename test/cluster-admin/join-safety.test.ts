import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ProcessCluster } from "../cluster/cluster-process.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";
import { runCli } from "../support/run-cli.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { describeMembers, membersOf } from "./admin-helpers.ts";

const utf8 = new TextEncoder();
let cluster: ProcessCluster | undefined;
let proxy: TcpProxy | undefined;
const scratch = tempDir("join");

afterAll(async () => {
  await proxy?.close();
  await cluster?.stop();
  removeDir(scratch);
});

test("joining a cluster that does not answer fails with one clear line, never a new cluster", async () => {
  const dataDir = join(scratch, "lonely");
  const result = await runCli([
    "serve",
    "--id",
    "lonely",
    "--data-dir",
    dataDir,
    "--listen",
    "127.0.0.1:0",
    "--raft-listen",
    "127.0.0.1:0",
    "--join",
    `127.0.0.1:${freePort()},127.0.0.1:${freePort()}`,
    "--join-timeout",
    "2s",
    "--log-level",
    "error",
  ]);
  expect(result.exitCode).toBe(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines.length).toBe(1);
  expect(lines[0]).toMatch(/^error: join: no member of the cluster answered at .* within 2 s .*not starting a new cluster/);
  expect(result.stdout).not.toContain("serving");
  // Nothing was bootstrapped, nor created: the ports and the join come before the data dir.
  expect(existsSync(dataDir)).toBe(false);
}, 30_000);

test("a 1-node cluster: add-voter of a server that never starts cannot wedge it; a real joiner still becomes a voter", async () => {
  cluster = await ProcessCluster.start(1, fastRaftArgs);
  const n1 = cluster.node("n1");
  const ghost = await eventually("add-voter of a ghost", () =>
    n1.clusterClient().addVoter({ id: "ghost", raftAddress: `127.0.0.1:${freePort()}`, clientAddress: `127.0.0.1:${freePort()}` }, { timeoutMs: 5000 }),
  );
  expect(ghost.promotionPending).toBe(true);
  // The quorum is still n1 alone: writes commit.
  for (let i = 0; i < 5; i++) {
    const put = await n1.client().put({ key: utf8.encode(`solo-${i}`), value: utf8.encode("v") }, { timeoutMs: 5000 });
    expect(put.index).toBeGreaterThan(ghost.index);
  }
  await Bun.sleep(1500); // a few promotion rounds: the ghost never caught up, so it must still be a nonvoter
  expect(describeMembers(await membersOf(n1))).toBe("ghost:nonvoter,n1:voter");

  const n2 = cluster.joiner("n2", [n1.endpoint]);
  await n2.start();
  await eventually("n2 promoted", async () => (describeMembers(await membersOf(n1)) === "ghost:nonvoter,n1:voter,n2:voter" ? true : undefined), 30_000);
  const put = await n2.client().put({ key: utf8.encode("via-n2"), value: utf8.encode("v") }, { timeoutMs: 5000 });
  expect(put.header?.leaderId).toBe("n1");

  const removed = await runCli(["cluster", "remove", "ghost", "--endpoints", n2.endpoint]);
  expect(removed.exitCode).toBe(0);
  expect(describeMembers(await membersOf(n1))).toBe("n1:voter,n2:voter");
}, 90_000);

test("a joiner whose pending promotion was lost to a leader change asks again and becomes a voter", async () => {
  if (cluster === undefined) throw new Error("needs the cluster of the previous test");
  const n1 = cluster.node("n1");
  const n3 = cluster.joiner("n3", [n1.endpoint]);
  // Members reach n3 only through a proxy that starts cut: it is added, but cannot catch up.
  proxy = await TcpProxy.start({ listenPort: 0, target: `127.0.0.1:${n3.raftPort}` });
  proxy.cut("reset");
  n3.extraArgs.push("--advertise-raft", proxy.address);
  await n3.start();
  expect(describeMembers(await membersOf(n1))).toBe("n1:voter,n2:voter,n3:nonvoter");

  // A new leader does not know the promotion the old one had pending.
  const moved = await eventually("a leadership transfer to n2", () => n1.clusterClient().transferLeadership({ id: "n2" }, { timeoutMs: 10_000 }));
  expect(moved.newLeaderId).toBe("n2");
  proxy.heal();
  await eventually(
    "n3 promoted by the new leader",
    async () => (describeMembers(await membersOf(cluster?.node("n2") ?? n1)) === "n1:voter,n2:voter,n3:voter" ? true : undefined),
    30_000,
  );
}, 60_000);
