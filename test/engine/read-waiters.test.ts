import { expect, test } from "bun:test";
import { RaftReadWaiters, type ReadIndexSource } from "../../src/engine/read-waiters.ts";
import type { Scheduler } from "../../src/engine/scheduler.ts";
import { RaftWaiter } from "../../src/engine/waiter.ts";

/** Time stands still: nothing here waits on a clock. */
const stillTime: Scheduler = {
  now: () => 0,
  after: () => ({ cancel: () => {} }),
  every: () => ({ cancel: () => {} }),
  soon: (fn) => fn(),
  sleep: () => Promise.resolve(),
  random: () => 0.5,
};

/** A follower's core that accepts every read request and remembers the ids it was asked with. */
function followerCore(): ReadIndexSource & { readonly asked: string[] } {
  const asked: string[] = [];
  return {
    id: "n2",
    asked,
    noLeaderKnown: () => false,
    leaderWaitMs: 1000,
    readIndex: (requestId) => {
      asked.push(requestId);
      return { ok: true };
    },
    leaseRead: (requestId) => {
      asked.push(requestId);
      return { ok: true };
    },
  };
}

function read(): RaftWaiter<number> {
  return new RaftWaiter<number>(stillTime, 5000, undefined, "read");
}

test("read request ids differ between processes, though both count from one", () => {
  const first = followerCore();
  const earlier = new RaftReadWaiters("p1");
  earlier.enqueue(read(), false);
  earlier.submit(first, 0);
  const second = followerCore();
  const later = new RaftReadWaiters("p2");
  later.enqueue(read(), false);
  later.submit(second, 0);
  expect(first.asked).toHaveLength(1);
  expect(second.asked).toHaveLength(1);
  expect(second.asked[0]).not.toBe(first.asked[0]);
});

test("an answer to an earlier process's request, delivered late, never releases a read of this one", async () => {
  const core = followerCore();
  const earlier = new RaftReadWaiters("p1");
  earlier.enqueue(read(), false);
  earlier.submit(core, 0);
  const staleId = core.asked[0] ?? "";

  // The process restarts: same node, a new set of waiters counting from one again.
  const later = new RaftReadWaiters("p2");
  const waiter = read();
  later.enqueue(waiter, false);
  later.submit(core, 0);
  const currentId = core.asked[1] ?? "";

  // The leader's answer to the old request arrives now, with an index far behind the present.
  later.onReadState({ requestId: staleId, index: 3 });
  later.release(3);
  expect(waiter.settled).toBe(false);

  // The answer to this process's own request releases it, once that index is applied.
  later.onReadState({ requestId: currentId, index: 40 });
  later.release(39);
  expect(waiter.settled).toBe(false);
  later.release(40);
  expect(await waiter.promise).toBe(40);
});
