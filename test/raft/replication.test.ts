import { describe, expect, test } from "bun:test";
import { member, TestCluster, text } from "./test-cluster.ts";

const five = ["n1", "n2", "n3", "n4", "n5"].map((id) => member(id));
const three = [member("n1"), member("n2"), member("n3")];

describe("log replication", () => {
  test("Figure 8: an old-term entry on a majority is not committed by counting", () => {
    const c = new TestCluster(three, { preVote: false, checkQuorum: false, maxEntriesPerMessage: 1 });
    c.elect("n1"); // term 2, no-op at 2 everywhere
    const x = c.propose("n1", "x"); // index 3, term 2, on n1 only
    c.processReadies();
    c.crash("n1");

    c.win("n2"); // term 3 with n3's vote; its no-op takes index 3 on n2 only
    c.processReadies();
    c.crash("n2");
    expect(c.node("n2").storage.term(x)).toBe(3);

    c.start("n1");
    c.win("n1"); // term 4 (n3 already voted in term 3)
    expect(c.term("n1")).toBe(4);
    // Replicate x (term 2) to n3, but nothing after it: x is now on n1 and n3, a majority.
    const n3HasX = (): boolean => c.logTerms("n3").length >= x;
    c.deliver((m) => m.kind !== "append" || !n3HasX() || m.entries.every((e) => e.index <= x));
    expect(c.logTerms("n3")[x - 1]).toBe(2);
    expect(
      c
        .raw("n1")
        .view()
        .peers.find((p) => p.id === "n3")?.match,
    ).toBe(x);
    expect(c.commit("n1")).toBe(x - 1); // the Figure 8 rule: not committed by counting
    c.crash("n1");

    c.start("n2");
    c.win("n2"); // its last term 3 beats n3's 2
    c.start("n1");
    c.stabilize();
    c.tickAll(2);
    for (const id of ["n1", "n2", "n3"]) {
      expect(c.logTerms(id)[x - 1]).toBe(3);
      expect(c.node(id).applied.some((e) => e.index === x && e.term === 2)).toBe(false);
    }
    expect(c.commit("n3")).toBeGreaterThanOrEqual(x);
  });

  test("a follower with a divergent suffix has it truncated and converges", () => {
    const c = new TestCluster(five, { preVote: false, checkQuorum: false });
    c.elect("n1");
    c.propose("n1", "lost-1");
    c.propose("n1", "lost-2");
    c.deliver((m) => m.to === "n2" && m.kind === "append");
    c.drop();
    expect(c.logTerms("n2").length).toBe(4);
    c.isolate("n1");
    c.isolate("n2");
    c.elect("n3");
    c.propose("n3", "kept-1");
    c.stabilize();
    c.heal();
    c.tickAll(2);
    const log2 = c.logTerms("n2");
    expect(log2).toEqual(c.logTerms("n3"));
    expect(
      c
        .node("n2")
        .applied.map(text)
        .filter((t) => t.startsWith("lost")),
    ).toEqual([]);
    expect(c.node("n2").applied.map(text)).toContain("kept-1");
    expect(c.raw("n1").role()).toBe("follower");
  });

  test("entries are acknowledged only after they are durable; the leader counts itself only once persisted", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    const index = c.propose("n1", "a");
    const leaderReady = c.hold("n1");
    // The leader may send before its own write is durable...
    expect(leaderReady?.messages.some((m) => m.kind === "append")).toBe(true);
    expect(leaderReady?.entries.map((e) => e.index)).toEqual([index]);
    // ...but a follower's ack waits for its write.
    const append = c.queue.find((m) => m.kind === "append" && m.to === "n2");
    c.drop();
    if (append === undefined) throw new Error("no append to n2");
    c.raw("n2").step(append);
    const followerReady = c.hold("n2");
    expect(followerReady?.entries.map((e) => e.index)).toEqual([index]);
    expect(followerReady?.messages).toEqual([]);
    expect(followerReady?.messagesAfterPersist.map((m) => m.kind)).toEqual(["appendResponse"]);
    c.release("n2");
    c.deliver((m) => m.kind === "appendResponse");
    // n2 durable, n1 not yet: one of three is not a quorum.
    expect(c.commit("n1")).toBe(index - 1);
    c.release("n1");
    expect(c.commit("n1")).toBe(index);
  });

  test("committed entries are handed out for apply in order, exactly once", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    for (let i = 0; i < 200; i++) c.propose("n1", `v${i}`);
    c.stabilize();
    c.tickAll(2);
    for (const id of ["n1", "n2", "n3"]) {
      const indexes = c.node(id).applied.map((e) => e.index);
      expect(indexes).toEqual(Array.from({ length: 202 }, (_, k) => k + 1));
    }
  });

  test("pipelining stays within the in-flight window and batches by count", () => {
    const c = new TestCluster(three, { maxInflightMessages: 3, maxEntriesPerMessage: 10 });
    c.elect("n1");
    c.tickAll(1);
    const before = c.queue.length;
    expect(before).toBe(0);
    for (let i = 0; i < 100; i++) c.raw("n1").propose(new TextEncoder().encode(`v${i}`));
    c.processReadies();
    const appendsToN2 = c.queue.filter((m) => m.kind === "append" && m.to === "n2");
    expect(appendsToN2.length).toBeLessThanOrEqual(3);
    for (const m of appendsToN2) if (m.kind === "append") expect(m.entries.length).toBeLessThanOrEqual(10);
    c.stabilize();
    expect(c.commit("n2")).toBe(102);
  });

  test("fast backtracking: a far-behind follower is found in a few round trips", () => {
    const c = new TestCluster(three, { maxEntriesPerMessage: 1000 });
    c.elect("n1");
    c.isolate("n3");
    for (let i = 0; i < 500; i++) c.propose("n1", `v${i}`);
    c.stabilize();
    c.heal();
    let rejections = 0;
    const count = (): void => {
      for (const m of c.queue) if (m.kind === "appendResponse" && m.reject) rejections++;
    };
    for (let i = 0; i < 20 && c.commit("n3") < 502; i++) {
      c.tick("n1");
      c.processReadies();
      count();
      c.deliver(() => true);
    }
    expect(c.commit("n3")).toBe(502);
    expect(rejections).toBeLessThanOrEqual(2);
  });

  test("a barrier is a no-op entry that commits after everything before it", () => {
    const c = new TestCluster(three);
    c.elect("n1");
    c.propose("n1", "a");
    const barrier = c.raw("n1").barrier();
    expect(barrier.ok).toBe(true);
    c.stabilize();
    const applied = c.node("n1").applied;
    expect(applied[applied.length - 1]?.kind).toBe("noop");
    if (barrier.ok) expect(applied[applied.length - 1]?.index).toBe(barrier.index);
    expect(c.raw("n2").barrier().ok).toBe(false);
  });
});
