import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { Suffrage } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { type ClusterProcess, ProcessCluster } from "../cluster/cluster-process.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";
import { runCli } from "../support/run-cli.ts";
import { BackgroundWriter, currentLeader, describeMembers, expectAllPresent, membersOf, required } from "./admin-helpers.ts";

// Small snapshot threshold and trailing logs: a node joining after a few hundred writes must catch up by snapshot.
const serveArgs = [...fastRaftArgs, "--snapshot-threshold", "40", "--snapshot-interval", "200ms", "--trailing-logs", "10"];

let cluster: ProcessCluster;
let writer: BackgroundWriter | undefined;

beforeAll(async () => {
  cluster = await ProcessCluster.start(3, serveArgs);
  await currentLeader(cluster);
  // Members advertise their client addresses once a leader exists: needed for --join and forwarding.
  await eventually("client addresses recorded", async () => {
    const members = await membersOf(cluster.node("n1"));
    return members.every((m) => m.clientAddress !== "") ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  await writer?.stop();
  await cluster?.stop();
});

function running(): readonly ClusterProcess[] {
  return cluster.nodes.filter((n) => n.running);
}

describe("cluster administration on real processes", () => {
  test("a 4th and a 5th node join while writes continue; the 5th catches up by snapshot", async () => {
    writer = new BackgroundWriter(() => cluster.nodes.slice(0, 3), "join");
    await writer.reach(20);
    const n4 = cluster.joiner("n4", [cluster.node("n2").endpoint]);
    await n4.start();
    await eventually(
      "n4 promoted to voter",
      async () => (describeMembers(await membersOf(cluster.node("n1"))).includes("n4:voter") ? true : undefined),
      30_000,
    );

    // Far beyond the trailing logs: the log prefix n5 would need is gone, only a snapshot can bring it up.
    await writer.reach(250, 60_000);
    const leader = await currentLeader(cluster);
    const leaderStatus = await leader.clusterClient().status({});
    expect(Number(leaderStatus.lastSnapshotIndex)).toBeGreaterThan(10);

    const n5 = cluster.joiner("n5", [cluster.node("n3").endpoint, cluster.node("n1").endpoint]);
    await n5.start();
    await eventually(
      "n5 promoted to voter",
      async () => (describeMembers(await membersOf(cluster.node("n1"))).includes("n5:voter") ? true : undefined),
      30_000,
    );
    const n5Status = await n5.clusterClient().status({});
    // It restored a snapshot rather than replaying from entry 1.
    expect(Number(n5Status.lastSnapshotIndex)).toBeGreaterThan(0);
    expect(n5.stderrLines.some((line) => line.includes("restored from a received snapshot"))).toBe(true);

    await writer.stop();
    const acknowledged = writer.acknowledged;
    writer = undefined;
    expect(describeMembers(await membersOf(n5))).toBe("n1:voter,n2:voter,n3:voter,n4:voter,n5:voter");
    for (const node of cluster.nodes) await expectAllPresent(node, "join", acknowledged);
  }, 150_000);

  test("the CLI shows status and members, as text and JSON", async () => {
    const endpoint = cluster.node("n2").endpoint;
    const members = await runCli(["cluster", "members", "--endpoints", endpoint]);
    expect(members.exitCode).toBe(0);
    for (const id of ["n1", "n2", "n3", "n4", "n5"]) expect(members.stdout).toContain(id);
    expect(members.stdout).toContain("voter");

    const status = await runCli(["cluster", "status", "-w", "json", "--endpoints", endpoint]);
    expect(status.exitCode).toBe(0);
    const parsed = JSON.parse(status.stdout) as { id: string; stats: Record<string, string>; members: unknown[] };
    expect(parsed.id).toBe("n2");
    expect(parsed.members.length).toBe(5);
    for (const key of ["state", "term", "last_log_index", "commit_index", "applied_index", "num_peers", "latest_configuration_index"]) {
      expect(parsed.stats[key]).toBeDefined();
    }
    expect(parsed.stats.num_peers).toBe("4");

    const barrier = await runCli(["cluster", "barrier", "--endpoints", endpoint]);
    expect(barrier.exitCode).toBe(0);
    expect(barrier.stdout).toMatch(/^barrier at index \d+/);

    const snapshot = await runCli(["cluster", "snapshot", "--endpoints", endpoint]);
    expect(snapshot.exitCode).toBe(0);
    expect(snapshot.stdout).toMatch(/^snapshot at index \d+ on n2/);

    // verify-leader answers for the node asked: a follower says it is not the leader.
    const leader = await currentLeader(cluster);
    const onLeader = await runCli(["cluster", "verify-leader", "--endpoints", leader.endpoint]);
    expect(onLeader.exitCode).toBe(0);
    expect(onLeader.stdout).toContain(`${leader.id} is the leader`);
    const follower = required(
      running().find((n) => n.id !== leader.id),
      "a follower",
    );
    const onFollower = await runCli(["cluster", "verify-leader", "--endpoints", follower.endpoint]);
    expect(onFollower.exitCode).toBe(1);
    expect(onFollower.stderr).toMatch(/^error: FailedPrecondition: .*not the leader/);
  }, 60_000);

  test("leadership transfer to any voter and to a named one, asked through a follower", async () => {
    const before = await currentLeader(cluster);
    const any = await runCli(["cluster", "transfer-leader", "--endpoints", before.endpoint]);
    expect(any.exitCode).toBe(0);
    const newLeaderId = /leader is now (\S+)/.exec(any.stdout)?.[1] ?? "";
    expect(newLeaderId).not.toBe(before.id);
    expect(["n1", "n2", "n3", "n4", "n5"]).toContain(newLeaderId);

    // Named target, asked on a node that is neither leader nor target: forwarded to the leader.
    const target = required(
      cluster.nodes.find((n) => n.id !== newLeaderId && n.id !== before.id),
      "a third voter",
    );
    const via = required(
      cluster.nodes.find((n) => n.id !== newLeaderId && n.id !== target.id),
      "a node to ask",
    );
    const answer = await eventually("a transfer to the named voter", () => via.clusterClient().transferLeadership({ id: target.id }, { timeoutMs: 10_000 }));
    expect(answer.newLeaderId).toBe(target.id);
    expect((await currentLeader(cluster)).id).toBe(target.id);
  }, 60_000);

  test("demote a voter and add it back; a stale --prev-index is refused", async () => {
    const endpoint = cluster.node("n1").endpoint;
    const config = await cluster.node("n1").clusterClient().getConfiguration({});
    const n4 = config.members.find((m) => m.id === "n4");
    expect(n4?.suffrage).toBe(Suffrage.VOTER);

    const stale = await runCli(["cluster", "demote", "n4", "--prev-index", String(config.index - 1n), "--endpoints", endpoint]);
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr.trim().split("\n").length).toBe(1);
    expect(stale.stderr).toMatch(/^error: FailedPrecondition: .*demote voter n4.*index/);

    const demoted = await runCli(["cluster", "demote", "n4", "--prev-index", String(config.index), "--endpoints", endpoint]);
    expect(demoted.exitCode).toBe(0);
    expect(demoted.stdout).toContain("demoted n4");
    expect(describeMembers(await membersOf(cluster.node("n1")))).toContain("n4:nonvoter");

    const readded = await runCli(["cluster", "add-voter", "n4", n4?.raftAddress ?? "", "--client-address", n4?.clientAddress ?? "", "--endpoints", endpoint]);
    expect(readded.exitCode).toBe(0);
    expect(readded.stdout).toContain("added n4");
    await eventually("n4 a voter again", async () => (describeMembers(await membersOf(cluster.node("n1"))).includes("n4:voter") ? true : undefined), 30_000);

    const invalid = await cluster
      .node("n2")
      .clusterClient()
      .demoteVoter({ id: "nobody" })
      .catch((error: unknown) => ConnectError.from(error));
    expect(invalid instanceof ConnectError ? invalid.code : undefined).toBe(Code.InvalidArgument);
  }, 60_000);

  test("add-voter of a server that never starts stays a nonvoter; writes go on; it can be removed", async () => {
    const n1 = cluster.node("n1");
    const ghost = await n1.clusterClient().addVoter({ id: "ghost", raftAddress: `127.0.0.1:${freePort()}` }, { timeoutMs: 10_000 });
    expect(ghost.promotionPending).toBe(true);
    await n1.client().put({ key: new TextEncoder().encode("after-ghost"), value: new Uint8Array([1]) }, { timeoutMs: 5000 });
    expect(describeMembers(await membersOf(n1))).toContain("ghost:nonvoter");
    const removed = await runCli(["cluster", "remove", "ghost", "--endpoints", n1.endpoint]);
    expect(removed.exitCode).toBe(0);
    expect(describeMembers(await membersOf(n1))).not.toContain("ghost");

    // A nonvoter on purpose, then removed with the guard its own answer gave (the guard's success path).
    const added = await runCli(["cluster", "add-nonvoter", "reader", `127.0.0.1:${freePort()}`, "-w", "json", "--endpoints", cluster.node("n3").endpoint]);
    expect(added.exitCode).toBe(0);
    const answer = JSON.parse(added.stdout) as { index: string; members: { id: string; suffrage: string }[] };
    expect(answer.members.find((m) => m.id === "reader")?.suffrage).toBe("SUFFRAGE_NONVOTER");
    const guarded = await runCli(["cluster", "remove", "reader", "--prev-index", answer.index, "--endpoints", n1.endpoint]);
    expect(guarded.exitCode).toBe(0);
    expect(describeMembers(await membersOf(n1))).not.toContain("reader");
  }, 60_000);

  test("remove a node; a joined node restarts from its data dir alone (its --join target is dead)", async () => {
    const n5 = cluster.node("n5");
    const removed = await runCli(["cluster", "remove", "n5", "--endpoints", cluster.node("n2").endpoint]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain("removed n5");
    expect(describeMembers(await membersOf(cluster.node("n1")))).toBe("n1:voter,n2:voter,n3:voter,n4:voter");
    await n5.kill();

    const n4 = cluster.node("n4");
    await n4.kill();
    // Nothing answers here: a node with Raft state must not even try.
    n4.extraArgs = [...serveArgs, "--join", `127.0.0.1:${freePort()}`, "--join-timeout", "1s"];
    await n4.start();
    await n4.client().put({ key: new TextEncoder().encode("after-restart"), value: new Uint8Array([4]) }, { timeoutMs: 10_000 });
    expect(describeMembers(await membersOf(n4))).toBe("n1:voter,n2:voter,n3:voter,n4:voter");
  }, 60_000);

  test("a leader stopped with SIGTERM hands over leadership; no acknowledged write is lost", async () => {
    const leader = await currentLeader(cluster);
    const others = () => running().filter((n) => n.id !== leader.id);
    const stopWriter = new BackgroundWriter(others, "sigterm");
    await stopWriter.reach(20);
    const exitCode = await leader.terminate();
    expect(exitCode).toBe(0);
    // The log line may still be in the pipe when the exit is seen.
    await eventually(
      "the leadership handed over before shutdown log line",
      async () => (leader.stderrLines.some((line) => line.includes("leadership handed over before shutdown")) ? true : undefined),
      5000,
    );
    const successor = await currentLeader(cluster);
    expect(successor.id).not.toBe(leader.id);
    await stopWriter.reach(stopWriter.acknowledged.length + 10);
    await stopWriter.stop();
    for (const node of running()) await expectAllPresent(node, "sigterm", stopWriter.acknowledged);
    await leader.start();
    await expectAllPresent(leader, "sigterm", stopWriter.acknowledged);
  }, 90_000);

  test("demoting or removing the leader through a follower: it hands over leadership, the new leader changes the configuration", async () => {
    const demotedLeader = await currentLeader(cluster);
    const asker = required(
      running().find((n) => n.id !== demotedLeader.id),
      "a follower",
    );
    const demoted = await asker.clusterClient().demoteVoter({ id: demotedLeader.id }, { timeoutMs: 15_000 });
    expect(demoted.header?.leaderId).not.toBe(demotedLeader.id);
    expect(describeMembers(demoted.members)).toContain(`${demotedLeader.id}:nonvoter`);
    const self = required(
      demoted.members.find((m) => m.id === demotedLeader.id),
      "the demoted member",
    );
    await asker.clusterClient().addVoter({ id: self.id, raftAddress: self.raftAddress, clientAddress: self.clientAddress }, { timeoutMs: 15_000 });
    await eventually(
      "the demoted leader a voter again",
      async () => (describeMembers(await membersOf(asker)).includes(`${self.id}:voter`) ? true : undefined),
      30_000,
    );

    const leader = await currentLeader(cluster);
    const follower = required(
      running().find((n) => n.id !== leader.id),
      "a follower",
    );
    const answer = await follower.clusterClient().removeServer({ id: leader.id }, { timeoutMs: 15_000 });
    expect(answer.members.map((m) => m.id)).not.toContain(leader.id);
    expect(answer.header?.leaderId).not.toBe(leader.id);
    const successor = await currentLeader(cluster);
    expect(successor.id).not.toBe(leader.id);
    expect(describeMembers(await membersOf(successor))).not.toContain(leader.id);
    await successor.client().put({ key: new TextEncoder().encode("after-leader-removal"), value: new Uint8Array([1]) }, { timeoutMs: 5000 });
  }, 60_000);
});
