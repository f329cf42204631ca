import { afterAll, expect, test } from "bun:test";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { ProcessCluster } from "../cluster/cluster-process.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";
import { runCli } from "../support/run-cli.ts";
import { currentLeader, describeMembers, membersOf } from "./admin-helpers.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
let cluster: ProcessCluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

test("a member restarted on other ports rejoins under its id with its data; a leader removes itself; a node leaves on shutdown", async () => {
  cluster = await ProcessCluster.start(3, fastRaftArgs);
  const [n1, n2, n3] = [cluster.node("n1"), cluster.node("n2"), cluster.node("n3")];
  await currentLeader(cluster);
  await eventually("client addresses recorded", async () => ((await membersOf(n1)).every((m) => m.clientAddress !== "") ? true : undefined));
  await eventually("a first write", () => n1.client().put({ key: utf8.encode("before-move"), value: utf8.encode("kept") }, { timeoutMs: 3000 }));
  await eventually("n3 applied it", async () =>
    (await n3.client().get({ key: utf8.encode("before-move"), consistency: Consistency.STALE })).found ? true : undefined,
  );

  // Address change: same id and data dir, new raft and client ports.
  const oldEndpoint = n3.endpoint;
  await n3.kill();
  const newRaftPort = freePort();
  n3.movePorts(newRaftPort);
  await n3.start();
  expect(n3.endpoint).not.toBe(oldEndpoint);
  const local = await n3.client().get({ key: utf8.encode("before-move"), consistency: Consistency.STALE });
  expect(fromUtf8.decode(local.kv?.value)).toBe("kept");
  await eventually(
    "the configuration records n3's new addresses",
    async () => {
      const m = (await membersOf(n1)).find((x) => x.id === "n3");
      return m?.raftAddress === `127.0.0.1:${newRaftPort}` && m.clientAddress === n3.endpoint ? true : undefined;
    },
    30_000,
  );
  // The leader now replicates to the new address, and n3 forwards writes.
  const put = await eventually("a write through n3", () => n3.client().put({ key: utf8.encode("after-move"), value: utf8.encode("ok") }, { timeoutMs: 3000 }));
  await eventually("n3 applied a later write", async () => {
    const got = await n3.client().get({ key: utf8.encode("after-move"), consistency: Consistency.STALE });
    return got.found && Number(got.header?.index ?? 0n) >= Number(put.index) ? true : undefined;
  });
  expect(describeMembers(await membersOf(n3))).toBe("n1:voter,n2:voter,n3:voter");

  // `raftkv cluster remove <own id>` on the leader: it hands over leadership, then the new leader removes it.
  const leader = await currentLeader(cluster);
  const removed = await runCli(["cluster", "remove", leader.id, "--endpoints", leader.endpoint]);
  expect(removed.exitCode).toBe(0);
  expect(removed.stdout).toContain(`removed ${leader.id}`);
  const remaining = [n1, n2, n3].filter((n) => n.id !== leader.id);
  const successor = await currentLeader(cluster);
  expect(successor.id).not.toBe(leader.id);
  expect(describeMembers(await membersOf(successor))).toBe(
    remaining
      .map((n) => `${n.id}:voter`)
      .sort()
      .join(","),
  );
  await leader.kill();

  // --leave-on-shutdown: the follower removes itself through the leader as it stops.
  const leaving = remaining.find((n) => n.id !== successor.id);
  if (leaving === undefined) throw new Error("expected a follower");
  await leaving.kill();
  leaving.extraArgs = [...fastRaftArgs, "--leave-on-shutdown"];
  await leaving.start();
  await eventually("the restarted follower is back in touch", async () =>
    (await leaving.clusterClient().status({})).leaderId === successor.id ? true : undefined,
  );
  expect(await leaving.terminate()).toBe(0);
  // The log line may still be in the pipe when the exit is seen.
  await eventually(
    "the left the cluster log line",
    async () => (leaving.stderrLines.some((line) => line.includes("left the cluster")) ? true : undefined),
    5000,
  );
  expect(describeMembers(await membersOf(successor))).toBe(`${successor.id}:voter`);
  const last = await successor.client().put({ key: utf8.encode("alone"), value: utf8.encode("ok") }, { timeoutMs: 5000 });
  expect(last.index).toBeGreaterThan(put.index);
}, 120_000);
