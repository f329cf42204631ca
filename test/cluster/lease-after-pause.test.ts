import { afterAll, expect, test } from "bun:test";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { type ClusterProcess, ProcessCluster } from "./cluster-process.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

let cluster: ProcessCluster | undefined;
afterAll(async () => {
  for (const n of cluster?.nodes ?? []) n.resume();
  await cluster?.stop();
});

type ReadOutcome = { readonly ok: true; readonly value: string | null } | { readonly ok: false; readonly error: unknown };

test("a leader paused past its lease serves no stale lease read when it resumes", async () => {
  cluster = await ProcessCluster.start(3);
  const first = cluster.nodes[0] as ClusterProcess;
  const leaderId = await eventually("a leader", async () => {
    const answer = await first.client().get({ key: utf8.encode("probe"), consistency: Consistency.STALE }, { timeoutMs: 2000 });
    return answer.header?.leaderId === "" ? undefined : answer.header?.leaderId;
  });
  const oldLeader = cluster.node(leaderId);
  const other = cluster.nodes.find((n) => n !== oldLeader) as ClusterProcess;
  const key = utf8.encode("lease-key");
  await oldLeader.client().put({ key, value: utf8.encode("before") });
  // Connected before the pause, so the read below waits in the paused node's socket.
  const pausedClient = oldLeader.client();
  expect((await pausedClient.get({ key, consistency: Consistency.LEASE })).found).toBe(true);

  oldLeader.pause();
  let read: Promise<ReadOutcome>;
  try {
    // The others elect a new leader and acknowledge a newer value.
    await eventually(
      "a write acknowledged by a new leader",
      async () => {
        const answer = await other.client().put({ key, value: utf8.encode("after") }, { timeoutMs: 1500 });
        return answer.header?.leaderId !== leaderId ? answer : undefined;
      },
      20_000,
    );
    read = pausedClient.get({ key, consistency: Consistency.LEASE }, { timeoutMs: 8000 }).then(
      (answer): ReadOutcome => ({ ok: true, value: answer.kv === undefined ? null : fromUtf8.decode(answer.kv.value) }),
      (error: unknown): ReadOutcome => ({ ok: false, error }),
    );
    await Bun.sleep(200);
  } finally {
    oldLeader.resume();
  }
  // Whatever the resumed node answers first must not be the value it held
  // before the pause: its lease ran out while it was stopped. Refusing
  // (unavailable) is allowed; serving "before" is a stale read.
  const outcome = await read;
  if (outcome.ok) expect(outcome.value).toBe("after");
  // And once it has caught up it serves the new value at every level.
  for (const consistency of [Consistency.LEASE, Consistency.LINEARIZABLE]) {
    const value = await eventually("the resumed node to serve the new value", async () => {
      const answer = await pausedClient.get({ key, consistency }, { timeoutMs: 2000 });
      return answer.kv === undefined ? undefined : fromUtf8.decode(answer.kv.value);
    });
    expect(value).toBe("after");
  }
}, 90_000);
