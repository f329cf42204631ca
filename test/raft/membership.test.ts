import { describe, expect, test } from "bun:test";
import { voterIds } from "../../src/raft/membership-codec.ts";
import { member, TestCluster } from "./test-cluster.ts";

const three = [member("n1"), member("n2"), member("n3")];
const addr = (id: string) => ({ raftAddress: `raft-${id}`, clientAddress: `client-${id}` });

describe("membership", () => {
  test("a learner is never counted for quorum and never campaigns", () => {
    const c = new TestCluster([member("n1"), member("n2"), member("n3", "nonvoter")]);
    c.elect("n1");
    c.stabilize();
    c.isolate("n2");
    const before = c.commit("n1");
    c.propose("n1", "a");
    c.stabilize();
    expect(c.logTerms("n3").length).toBe(before + 1); // the learner has it...
    expect(c.commit("n1")).toBe(before); // ...but n1 + learner is not a quorum of {n1, n2}
    expect(c.raw("n3").role()).toBe("learner");
    c.isolate("n3");
    c.tickAll(50, ["n3"]);
    expect(c.raw("n3").role()).toBe("learner");
    expect(c.queue.filter((m) => m.from === "n3" && m.kind === "requestVote")).toEqual([]);
  });

  test("a change takes effect when appended, and only one may be uncommitted", () => {
    const c = new TestCluster(three, {}, ["n4"]);
    c.elect("n1");
    c.stabilize();
    c.isolate("n1");
    const first = c.raw("n1").changeMembership({ kind: "addNonvoter", id: "n4", ...addr("n4") });
    expect(first.ok).toBe(true);
    expect(
      c
        .raw("n1")
        .membership()
        .members.map((m) => m.id),
    ).toContain("n4"); // effective at once
    const second = c.raw("n1").changeMembership({ kind: "removeServer", id: "n3" });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.refusal.kind).toBe("configChangePending");
    c.heal();
    c.stabilize();
    expect(c.raw("n1").changeMembership({ kind: "removeServer", id: "n3" }).ok).toBe(true);
  });

  test("the previous-index guard rejects a change based on a stale configuration", () => {
    const c = new TestCluster(three, {}, ["n4"]);
    c.elect("n1");
    c.stabilize();
    const seen = c.raw("n1").membership().index;
    expect(c.raw("n1").changeMembership({ kind: "addNonvoter", id: "n4", ...addr("n4") }, seen).ok).toBe(true);
    c.stabilize();
    const stale = c.raw("n1").changeMembership({ kind: "removeServer", id: "n4" }, seen);
    expect(stale.ok).toBe(false);
    if (!stale.ok) expect(stale.refusal.kind).toBe("configIndexMismatch");
    expect(c.raw("n1").changeMembership({ kind: "removeServer", id: "n4" }, c.raw("n1").membership().index).ok).toBe(true);
  });

  test("AddVoter stages a nonvoter and promotes it once caught up", () => {
    const c = new TestCluster(three, { promotionLag: 2, maxEntriesPerMessage: 5 }, ["n4"]);
    c.elect("n1");
    for (let i = 0; i < 50; i++) c.propose("n1", `v${i}`);
    c.stabilize();
    c.isolate("n4");
    const result = c.raw("n1").changeMembership({ kind: "addVoter", id: "n4", ...addr("n4") });
    expect(result.ok).toBe(true);
    c.stabilize();
    expect(voterIds(c.raw("n1").membership())).not.toContain("n4");
    c.heal();
    c.tickAll(5);
    expect(voterIds(c.raw("n1").membership())).toContain("n4");
    expect(c.node("n1").events.some((e) => e.kind === "nonvoterPromoted" && e.peer === "n4")).toBe(true);
    expect(c.raw("n4").role()).toBe("follower");
  });

  test("a removed leader steps down once its removal commits", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.stabilize();
    expect(c.raw("n1").changeMembership({ kind: "removeServer", id: "n1" }).ok).toBe(true);
    c.stabilize();
    expect(c.raw("n1").role()).toBe("learner");
    c.tickAll(40, ["n2", "n3"]);
    expect(["n2", "n3"].some((id) => c.raw(id).role() === "leader")).toBe(true);
  });

  test("a removed node that keeps campaigning does not disrupt the cluster", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.stabilize();
    c.isolate("n3");
    expect(c.raw("n1").changeMembership({ kind: "removeServer", id: "n3" }).ok).toBe(true);
    c.stabilize();
    const term = c.term("n1");
    // n3 never learned of its removal; it keeps trying to get elected.
    c.heal();
    for (let i = 0; i < 100; i++) {
      c.tickAll(1);
    }
    expect(c.raw("n1").role()).toBe("leader");
    expect(c.term("n1")).toBe(term);
    expect(c.term("n2")).toBe(term);
    expect(c.raw("n3").role()).not.toBe("leader");
  });

  test("the configuration survives snapshots, compaction and restarts", () => {
    const c = new TestCluster(three, { trailingLogs: 0 }, ["n4"]);
    c.elect("n1");
    expect(c.raw("n1").changeMembership({ kind: "addNonvoter", id: "n4", ...addr("n4") }).ok).toBe(true);
    for (let i = 0; i < 10; i++) c.propose("n1", `v${i}`);
    c.stabilize();
    c.tickAll(2);
    c.snapshot("n2");
    expect(c.node("n2").storage.firstIndex()).toBeGreaterThan(3);
    c.crash("n2");
    c.start("n2");
    expect(
      c
        .raw("n2")
        .membership()
        .members.map((m) => m.id)
        .sort(),
    ).toEqual(["n1", "n2", "n3", "n4"]);
  });
});
