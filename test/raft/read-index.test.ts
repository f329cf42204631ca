import { describe, expect, test } from "bun:test";
import { member, TestCluster } from "./test-cluster.ts";

const three = [member("n1"), member("n2"), member("n3")];

describe("linearizable reads", () => {
  test("ReadIndex is released after one quorum heartbeat round, at the commit index", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    const index = c.propose("n1", "a");
    c.stabilize();
    expect(c.raw("n1").readIndex("r1").ok).toBe(true);
    c.processReadies();
    expect(c.node("n1").readStates).toEqual([]); // not before the round
    expect(c.queue.filter((m) => m.kind === "heartbeat").length).toBe(2);
    c.deliver((m) => m.kind === "heartbeat" && m.to === "n2");
    c.deliver((m) => m.kind === "heartbeatResponse");
    expect(c.node("n1").readStates).toEqual([{ requestId: "r1", index }]);
  });

  test("one round serves every read queued behind it", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.stabilize();
    c.raw("n1").readIndex("r1");
    c.processReadies();
    for (let i = 2; i <= 10; i++) c.raw("n1").readIndex(`r${i}`);
    c.processReadies();
    // Reads 2..10 arrived after round 1 went out: they wait for one more round, not nine.
    expect(c.queue.filter((m) => m.kind === "heartbeat").length).toBe(2);
    c.stabilize();
    expect(c.node("n1").readStates.map((r) => r.requestId)).toEqual(["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"]);
    expect(
      c
        .raw("n1")
        .view()
        .peers.find((p) => p.id === "n2")?.ackedRound,
    ).toBe(2);
  });

  test("a new leader waits for its no-op to commit before serving reads", () => {
    const c = new TestCluster(three);
    c.raw("n1").campaign();
    c.deliver((m) => m.kind === "requestVote" || m.kind === "voteResponse");
    expect(c.raw("n1").role()).toBe("leader");
    c.raw("n1").readIndex("early");
    c.deliver((m) => m.kind === "heartbeat" || m.kind === "heartbeatResponse");
    expect(c.node("n1").readStates).toEqual([]);
    c.stabilize();
    expect(c.node("n1").readStates).toEqual([{ requestId: "early", index: 2 }]);
  });

  test("a follower gets a read index from the leader", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    const index = c.propose("n1", "a");
    c.stabilize();
    expect(c.raw("n2").readIndex("f1").ok).toBe(true);
    c.stabilize();
    expect(c.node("n2").readStates).toEqual([{ requestId: "f1", index }]);
  });

  test("a stale leader cut off by a partition never serves a linearizable read", () => {
    const c = new TestCluster(three, { checkQuorum: false });
    c.elect("n1");
    c.stabilize();
    c.isolate("n1");
    c.tickAll(40, ["n2", "n3"]);
    const newLeader = c.raw("n2").role() === "leader" ? "n2" : "n3";
    expect(c.raw(newLeader).role()).toBe("leader");
    c.propose(newLeader, "new");
    c.stabilize();
    // n1 still believes it leads (no check-quorum here): its read must not come back.
    expect(c.raw("n1").role()).toBe("leader");
    c.raw("n1").readIndex("stale");
    c.tickAll(5, ["n1"]);
    expect(c.node("n1").readStates).toEqual([]);
    c.heal();
    c.tickAll(3);
    expect(c.raw("n1").role()).toBe("follower");
    expect(c.node("n1").readStates).toEqual([]);
  });

  test("a follower without a leader refuses a read at once", () => {
    const c = new TestCluster(three);
    const result = c.raw("n2").readIndex("x");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.refusal.kind).toBe("noLeader");
  });

  test("lease reads are served locally while the lease holds, and fall back to ReadIndex after", () => {
    const c = new TestCluster(three, { leaseTicks: 5, heartbeatTicks: 1 });
    c.tickAll(30); // past the restart quiet period, then an election
    const leader = ["n1", "n2", "n3"].find((id) => c.raw(id).role() === "leader");
    if (leader === undefined) throw new Error("no leader elected");
    c.stabilize();
    c.raw(leader).leaseRead("l1");
    c.processReadies();
    expect(c.node(leader).readStates.map((r) => r.requestId)).toEqual(["l1"]);
    expect(c.queue).toEqual([]); // no round needed
    c.isolate(leader);
    c.tickAll(6, [leader]);
    c.raw(leader).leaseRead("l2");
    c.processReadies();
    expect(c.node(leader).readStates.map((r) => r.requestId)).toEqual(["l1"]); // lease expired: waits for a quorum
  });
});
