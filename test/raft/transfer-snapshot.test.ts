import { describe, expect, test } from "bun:test";
import { member, TestCluster, text } from "./test-cluster.ts";

const three = [member("n1"), member("n2"), member("n3")];

describe("leadership transfer", () => {
  test("transfer to a given voter succeeds; proposals are refused meanwhile", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.isolate("n2");
    c.propose("n1", "a");
    c.stabilize();
    expect(c.raw("n1").transferLeadership("n2").ok).toBe(true);
    const refused = c.raw("n1").propose(new Uint8Array(1));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.refusal.kind).toBe("transferInProgress");
    c.heal();
    c.tickAll(2);
    expect(c.raw("n2").role()).toBe("leader");
    expect(c.raw("n1").leader()).toBe("n2");
    expect(c.node("n1").events.some((e) => e.kind === "leadershipTransferFinished" && e.succeeded)).toBe(true);
  });

  test("transfer with no target picks the most up-to-date voter", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.isolate("n3");
    c.propose("n1", "a");
    c.stabilize();
    expect(c.raw("n1").transferLeadership().ok).toBe(true);
    c.stabilize();
    expect(c.raw("n2").role()).toBe("leader");
  });

  test("a transfer to an unreachable target times out and the leader serves again", () => {
    const c = new TestCluster(three, { transferTimeoutTicks: 5 });
    c.elect("n1");
    c.isolate("n3");
    expect(c.raw("n1").transferLeadership("n3").ok).toBe(true);
    c.tickAll(5, ["n1"]);
    expect(c.raw("n1").role()).toBe("leader");
    expect(c.node("n1").events.some((e) => e.kind === "leadershipTransferFinished" && !e.succeeded && e.target === "n3")).toBe(true);
    expect(c.raw("n1").propose(new Uint8Array(1)).ok).toBe(true);
  });
});

describe("snapshots", () => {
  test("a leader with no snapshot available yet sends none and does not fail; it sends one once it has it", () => {
    const c = new TestCluster(three, { trailingLogs: 2 });
    c.elect("n1");
    c.isolate("n3");
    for (let i = 0; i < 30; i++) c.propose("n1", `v${i}`);
    c.stabilize();
    const snapAt = c.snapshot("n1");
    const storage = c.node("n1").storage;
    const real = storage.snapshot.bind(storage);
    // The log is compacted, but the snapshot is (temporarily) unavailable.
    storage.snapshot = () => ({ ...real(), index: 0, term: 0 });
    c.heal();
    expect(() => c.tickAll(3)).not.toThrow();
    expect(c.node("n3").storage.snapshot().index).toBe(0);
    expect(c.raw("n1").role()).toBe("leader");
    storage.snapshot = real;
    c.tickAll(3);
    expect(c.node("n3").storage.snapshot().index).toBe(snapAt);
  });

  test("a follower too far behind is sent a snapshot, restores and continues", () => {
    const c = new TestCluster(three, { trailingLogs: 2 });
    c.elect("n1");
    c.isolate("n3");
    for (let i = 0; i < 30; i++) c.propose("n1", `v${i}`);
    c.stabilize();
    const snapAt = c.snapshot("n1");
    expect(c.node("n1").storage.firstIndex()).toBe(snapAt - 1);
    c.heal();
    c.tickAll(3);
    expect(c.node("n3").storage.snapshot().index).toBe(snapAt);
    c.propose("n1", "after");
    c.stabilize();
    c.tickAll(1);
    expect(c.commit("n3")).toBe(c.commit("n1"));
    expect(c.node("n3").applied.map(text)).toContain("after");
    expect(c.raw("n3").stats().lastSnapshotIndex).toBe(snapAt);
  });

  test("a snapshot arriving while appended entries are not yet durable wins cleanly", () => {
    const c = new TestCluster(three, { trailingLogs: 0, maxEntriesPerMessage: 2 });
    c.elect("n1");
    c.stabilize();
    c.propose("n1", "a");
    c.propose("n1", "b");
    // n3 accepts the entries but its Ready is still being written when a snapshot shows up.
    c.processReadies();
    const append = c.queue.find((m) => m.kind === "append" && m.to === "n3" && m.entries.length > 0);
    if (append === undefined) throw new Error("no append to n3");
    c.drop((m) => m === append);
    c.raw("n3").step(append);
    const inFlight = c.hold("n3");
    expect(inFlight?.entries.length).toBeGreaterThan(0);
    c.isolate("n3");
    for (let i = 0; i < 10; i++) c.propose("n1", `v${i}`);
    c.stabilize();
    const snapAt = c.snapshot("n1");
    c.heal();
    c.drop();
    // The engine saw n3's link fail: the leader probes again and must fall back to the snapshot.
    c.raw("n1").reportUnreachable("n3");
    c.propose("n1", "poke");
    c.processReadies();
    expect(c.queue.some((m) => m.kind === "installSnapshot" && m.to === "n3")).toBe(true);
    c.deliver((m) => m.kind === "installSnapshot");
    expect(c.raw("n3").log().unstableSnapshot()?.index).toBe(snapAt);
    c.release("n3"); // the old entries become durable after the snapshot replaced them in memory
    c.stabilize();
    c.tickAll(3);
    expect(c.commit("n3")).toBe(c.commit("n1"));
    expect(c.node("n3").storage.snapshot().index).toBe(snapAt);
    expect(c.logTerms("n3").slice(snapAt)).toEqual(c.logTerms("n1").slice(snapAt));
  });
});

describe("stats", () => {
  test("stats report role, term, indexes, configuration and peers", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.stabilize();
    const s = c.raw("n1").stats();
    expect(s.role).toBe("leader");
    expect(s.leader).toBe("n1");
    expect(s.term).toBe(2);
    expect(s.commitIndex).toBe(2);
    expect(s.appliedIndex).toBe(2);
    expect(s.lastLogIndex).toBe(2);
    expect(s.lastLogTerm).toBe(2);
    expect(s.membership.members.length).toBe(3);
    expect(s.peers.map((p) => p.id).sort()).toEqual(["n2", "n3"]);
    expect(s.peers.every((p) => p.state === "replicate" && p.match === 2)).toBe(true);
    expect(c.node("n1").events.some((e) => e.kind === "roleChanged" && e.role === "leader")).toBe(true);
    expect(c.node("n2").events.some((e) => e.kind === "leaderChanged" && e.leader === "n1")).toBe(true);
  });
});
