import { afterAll, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import { TxnRequestSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { RaftTestCluster } from "./raft-test-cluster.ts";

const utf8 = new TextEncoder();
let cluster: RaftTestCluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

function txnCommand(txn: Parameters<typeof create<typeof TxnRequestSchema>>[1]): Uint8Array {
  return toBinary(CommandSchema, create(CommandSchema, { op: { case: "txn", value: create(TxnRequestSchema, txn) } }));
}

/**
 * A Txn's reads build its answer, and only the proposer reads the answer:
 * followers applying the same entry must not read 20 MB to throw it away.
 * The time each engine spent applying tells them apart (its I/O meter).
 */
test("a transaction's reads are evaluated on the node that answers it, not on the followers applying it", async () => {
  // Production timings: three engines share this event loop, and a leader reading 40 MB must not cost an election.
  cluster = await RaftTestCluster.start(3, { timing: { tickMs: 100, heartbeatTimeoutMs: 1000, electionTimeoutMs: 1000, leaderLeaseMs: 500 } });
  const leader = await cluster.leader();
  const value = new Uint8Array(8192).fill(7);
  let last = 0;
  for (let batch = 0; batch < 5; batch++) {
    const success = Array.from({ length: 100 }, (_, i) => ({
      op: { case: "put" as const, value: { key: utf8.encode(`big/${batch * 100 + i}`), value } },
    }));
    last = (await leader.engine.propose(txnCommand({ success }))).index;
  }
  await cluster.converged(last);
  const before = new Map(cluster.members.map((m) => [m.id, m.engine.ioStats().applyMs]));
  // Five ranges over the whole 4 MB: a 20 MB answer, and a write so every replica has something to apply; five times.
  const ranges = Array.from({ length: 5 }, () => ({ op: { case: "range" as const, value: { prefix: utf8.encode("big/"), limit: 1000 } } }));
  for (let round = 0; round < 5; round++) {
    const marker = { op: { case: "put" as const, value: { key: utf8.encode(`marker-${round}`), value: utf8.encode("m") } } };
    const applied = await leader.engine.propose(txnCommand({ success: [...ranges, marker] }));
    await cluster.converged(applied.index);
    const result = applied.result;
    if (result.kind !== "txn") throw new Error(`expected a txn result, got ${result.kind}`);
    const first = result.responses[0];
    expect(first?.kind === "range" ? first.result.kvs.length : 0).toBe(500);
  }
  const spent = (id: string): number => (cluster?.member(id).engine.ioStats().applyMs ?? 0) - (before.get(id) ?? 0);
  const leaderMs = spent(leader.id);
  const followerMs = cluster.members.filter((m) => m.id !== leader.id).map((m) => spent(m.id));
  for (const follower of cluster.members.filter((m) => m.id !== leader.id)) {
    expect(follower.stateMachine.get(utf8.encode("marker-4"))?.value).toEqual(utf8.encode("m"));
  }
  // Reading 100 MB takes the leader hundreds of milliseconds; the followers only write five keys.
  expect({ leaderMs, followerMs, followersBelowAQuarter: followerMs.every((ms) => ms < leaderMs / 4) }).toMatchObject({
    followersBelowAQuarter: true,
  });
  expect(leaderMs).toBeGreaterThan(50);
}, 60_000);
