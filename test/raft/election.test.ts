import { describe, expect, test } from "bun:test";
import { maxTerm } from "../../src/raft/term-limit.ts";
import { member, TestCluster } from "./test-cluster.ts";

const three = [member("n1"), member("n2"), member("n3")];

describe("elections", () => {
  test("a campaign wins with pre-vote, bumps the term once and commits a no-op", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    expect(c.term("n1")).toBe(2);
    expect(c.raw("n2").leader()).toBe("n1");
    for (const id of ["n1", "n2", "n3"]) {
      expect(c.commit(id)).toBe(2);
      expect(c.node(id).applied.map((e) => e.kind)).toEqual(["config", "noop"]);
    }
  });

  test("a follower that stops hearing from the leader times out within [T, 2T) ticks", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.crash("n1");
    let ticks = 0;
    while (c.raw("n2").role() !== "leader" && c.raw("n3").role() !== "leader") {
      c.tickAll(1, ["n2", "n3"]);
      ticks++;
      expect(ticks).toBeLessThan(40);
    }
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  test("a partitioned node rejoining does not bump terms or depose the leader (pre-vote)", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.isolate("n3");
    c.tickAll(60);
    expect(c.term("n3")).toBe(2); // pre-votes failed, term untouched
    expect(c.raw("n3").role()).toBe("precandidate");
    c.heal();
    c.tickAll(3);
    expect(c.raw("n1").role()).toBe("leader");
    expect(c.term("n1")).toBe(2);
    expect(c.raw("n3").leader()).toBe("n1");
  });

  test("check-quorum: a leader cut off from a quorum steps down within two election timeouts", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.isolate("n1");
    for (let i = 0; i < 10; i++) c.tick("n1");
    c.stabilize();
    expect(c.raw("n1").role()).toBe("leader"); // it heard from both during the first period
    for (let i = 0; i < 10; i++) c.tick("n1");
    c.stabilize();
    expect(c.raw("n1").role()).toBe("follower");
    const unreachable = c.node("n1").events.flatMap((e) => (e.kind === "peerUnreachable" ? [e.peer] : []));
    expect(unreachable.sort()).toEqual(["n2", "n3"]);
  });

  test("vote replies wait for the term and vote to be durable", () => {
    const c = new TestCluster(three, { preVote: false });
    c.raw("n1").campaign();
    const candidateReady = c.hold("n1");
    expect(candidateReady?.hardState).toEqual({ term: 2, vote: "n1", commit: 1 });
    expect(candidateReady?.messages).toEqual([]);
    expect(candidateReady?.messagesAfterPersist.filter((m) => m.kind === "requestVote").length).toBe(2);
    c.release("n1");
    const request = c.queue.find((m) => m.kind === "requestVote" && m.to === "n2");
    if (request === undefined) throw new Error("no vote request to n2");
    c.raw("n2").step(request);
    const ready = c.hold("n2");
    expect(ready?.hardState).toEqual({ term: 2, vote: "n1", commit: 1 });
    expect(ready?.messages).toEqual([]);
    expect(ready?.messagesAfterPersist.some((m) => m.kind === "voteResponse" && m.granted)).toBe(true);
  });

  test("a vote granted in an earlier term is not counted in a later one", () => {
    const c = new TestCluster(three, { preVote: false, checkQuorum: false });
    c.raw("n1").campaign(); // term 2
    c.processReadies();
    c.drop((m) => m.to === "n2");
    c.deliver((m) => m.kind === "requestVote" && m.to === "n3");
    const staleGrant = c.queue.find((m) => m.kind === "voteResponse" && m.from === "n3");
    expect(staleGrant?.kind === "voteResponse" && staleGrant.granted).toBe(true);
    c.drop();
    c.raw("n1").campaign(); // term 3; nobody answers in time
    c.processReadies();
    c.drop();
    if (staleGrant === undefined) throw new Error("no grant from n3");
    c.raw("n1").step(staleGrant);
    expect(c.term("n1")).toBe(3);
    expect(c.raw("n1").role()).toBe("candidate");
  });

  test("a term past maxTerm is never adopted, and a node at maxTerm keeps following instead of campaigning past it", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.raw("n2").step({ kind: "heartbeat", from: "n3", to: "n2", term: 2 ** 53 - 1, commit: 0, round: 1 });
    c.raw("n2").step({ kind: "requestVote", from: "n3", to: "n2", term: maxTerm + 1, preVote: false, transfer: true, lastIndex: 99, lastTerm: 2 });
    expect(c.term("n2")).toBe(2);
    expect(c.raw("n2").leader()).toBe("n1");
    // A leader at maxTerm (reachable in principle): its followers follow it there, and nobody goes past.
    c.raw("n2").step({ kind: "heartbeat", from: "n1", to: "n2", term: maxTerm, commit: 0, round: 1 });
    expect(c.term("n2")).toBe(maxTerm);
    c.crash("n1");
    c.tickAll(60, ["n2", "n3"]);
    expect(c.term("n2")).toBe(maxTerm);
    expect(c.raw("n2").role()).toBe("follower");
  });
});
