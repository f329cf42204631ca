import { afterAll, beforeAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { CompareOp, Consistency, type TxnResponse } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { type ClusterProcess, ProcessCluster } from "../cluster/cluster-process.ts";
import { eventually } from "../support/eventually.ts";
import { expectCode, kvClient, leaseClient, str, text } from "./support.ts";

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start(3);
  // Wait until a leader is known and writes go through every node.
  for (const node of cluster.nodes) {
    await eventually(
      `a write through ${node.id}`,
      () => kvClient(node.endpoint).put({ key: text(`ready/${node.id}`), value: text("1") }, { timeoutMs: 3000 }),
      30_000,
    );
  }
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function nodeAt(i: number): ClusterProcess {
  const node = cluster.nodes[i % cluster.nodes.length];
  if (node === undefined) throw new Error(`no node at ${i}`);
  return node;
}

async function leaderId(via: ClusterProcess): Promise<string | undefined> {
  const answer = await kvClient(via.endpoint).get({ key: text("probe"), consistency: Consistency.STALE }, { timeoutMs: 2000 });
  const id = answer.header?.leaderId ?? "";
  return id === "" ? undefined : id;
}

/** Whether `key` is present on `node`'s own applied state. */
async function presentOn(node: ClusterProcess, key: string): Promise<boolean> {
  return (await kvClient(node.endpoint).get({ key: text(key), consistency: Consistency.STALE }, { timeoutMs: 3000 })).found;
}

async function goneEverywhere(nodes: readonly ClusterProcess[], key: string): Promise<true | undefined> {
  for (const node of nodes) if (await presentOn(node, key)) return undefined;
  return true;
}

test("a counter incremented by 8 clients with CAS loops (compare mod_index) over 3 nodes ends exactly right", async () => {
  const clients = 8;
  const incrementsEach = 8;
  const key = text("counter");
  let conflicts = 0;
  const workers = Array.from({ length: clients }, async (_, c) => {
    const kv = kvClient(nodeAt(c).endpoint);
    let seen = await kv.get({ key }, { timeoutMs: 5000 });
    let value = seen.found ? Number(str(seen.kv?.value)) : 0;
    let modIndex = seen.kv?.modIndex ?? 0n;
    for (let done = 0; done < incrementsEach; ) {
      let answer: TxnResponse;
      try {
        answer = await kv.txn(
          {
            compare: [{ key, op: CompareOp.EQUAL, target: { case: "modIndex", value: modIndex } }],
            success: [{ op: { case: "put", value: { key, value: text(String(value + 1)) } } }],
            // On a conflict, the same round trip returns the current state to retry from.
            failure: [{ op: { case: "get", value: { key } } }],
          },
          { timeoutMs: 5000 },
        );
      } catch (error) {
        // Refused before entering any log (no leader yet, forwarding failed): safe to retry from a fresh read.
        if (ConnectError.from(error).code !== Code.Unavailable) throw error;
        await Bun.sleep(50);
        seen = await kv.get({ key }, { timeoutMs: 5000 });
        value = seen.found ? Number(str(seen.kv?.value)) : 0;
        modIndex = seen.kv?.modIndex ?? 0n;
        continue;
      }
      if (answer.succeeded) {
        done++;
        value += 1;
        modIndex = answer.index;
        continue;
      }
      conflicts++;
      const current = answer.responses[0]?.op;
      if (current?.case !== "get") throw new Error(`failure branch answered ${current?.case}`);
      value = current.value.found ? Number(str(current.value.kv?.value)) : 0;
      modIndex = current.value.kv?.modIndex ?? 0n;
    }
  });
  await Promise.all(workers);
  const final = await kvClient(nodeAt(0).endpoint).get({ key }, { timeoutMs: 5000 });
  expect(str(final.kv?.value)).toBe(String(clients * incrementsEach));
  expect(final.kv?.version).toBe(BigInt(clients * incrementsEach));
  // Concurrent clients did collide: the compare is what kept the count exact.
  expect(conflicts).toBeGreaterThan(0);
  // Every node converges on the same count.
  for (const node of cluster.nodes) {
    await eventually(`${node.id} sees the final count`, async () => {
      const got = await kvClient(node.endpoint).get({ key, consistency: Consistency.STALE }, { timeoutMs: 3000 });
      return str(got.kv?.value) === String(clients * incrementsEach) ? true : undefined;
    });
  }
}, 90_000);

test("Compact through a follower is forwarded; the leader checks the bounds", async () => {
  const leader = await eventually("a leader", () => leaderId(nodeAt(0)));
  const follower = cluster.nodes.find((n) => n.id !== leader) ?? nodeAt(0);
  const kv = kvClient(follower.endpoint);
  const written = await kv.put({ key: text("compact/k"), value: text("v") }, { timeoutMs: 5000 });
  const compacted = await kv.compact({ index: written.index }, { timeoutMs: 5000 });
  expect(compacted.compactIndex).toBe(written.index);
  expect(compacted.header?.memberId).toBe(leader);
  await expectCode(kv.compact({ index: written.index - 1n }, { timeoutMs: 5000 }), Code.FailedPrecondition, String(written.index - 1n), String(written.index));
  await expectCode(kv.compact({ index: written.index + 100_000n }, { timeoutMs: 5000 }), Code.OutOfRange, "applied index");
}, 60_000);

test("a lease's keys vanish on every node after its TTL; a lease kept alive through a follower keeps its keys; revoke deletes keys", async () => {
  const leader = await eventually("a leader", () => leaderId(nodeAt(0)));
  const followers = cluster.nodes.filter((n) => n.id !== leader);
  const follower = followers[0] ?? nodeAt(0);
  const viaFollower = leaseClient(follower.endpoint);
  const kv = kvClient(follower.endpoint);

  // Granted, attached and kept alive through a follower: grant and keep-alive are forwarded to the leader.
  const doomed = await viaFollower.leaseGrant({ ttlSeconds: 1n }, { timeoutMs: 5000 });
  const kept = await viaFollower.leaseGrant({ ttlSeconds: 1n }, { timeoutMs: 5000 });
  await kv.put({ key: text("lease/doomed"), value: text("x"), lease: doomed.id }, { timeoutMs: 5000 });
  await kv.put({ key: text("lease/kept"), value: text("y"), lease: kept.id }, { timeoutMs: 5000 });
  let keeping = true;
  const keepAlive = (async () => {
    while (keeping) {
      await viaFollower.leaseKeepAlive({ id: kept.id }, { timeoutMs: 3000 }).catch(() => undefined);
      await Bun.sleep(200);
    }
  })();
  try {
    await eventually("the expired lease's key gone on every node", () => goneEverywhere(cluster.nodes, "lease/doomed"), 30_000);
    const ttl = await viaFollower.leaseTimeToLive({ id: doomed.id }, { timeoutMs: 5000 });
    expect(ttl.ttlSeconds).toBe(-1n);
    // Well past its 1 s TTL the kept lease is alive on the leader's clock, and its key is on every node.
    await Bun.sleep(1500);
    const keptTtl = await viaFollower.leaseTimeToLive({ id: kept.id, keys: true }, { timeoutMs: 5000 });
    expect(keptTtl.ttlSeconds).toBeGreaterThan(0n);
    expect(keptTtl.keys.map(str)).toEqual(["lease/kept"]);
    for (const node of cluster.nodes) {
      expect((await kvClient(node.endpoint).get({ key: text("lease/kept") }, { timeoutMs: 5000 })).found).toBe(true);
    }
  } finally {
    keeping = false;
    await keepAlive;
  }

  // Revoke (through the other follower): the keys go at once, on every node.
  const revoker = leaseClient((followers[1] ?? follower).endpoint);
  const revokeMe = await revoker.leaseGrant({ ttlSeconds: 60n }, { timeoutMs: 5000 });
  await kv.put({ key: text("lease/revoked/1"), value: text("1"), lease: revokeMe.id }, { timeoutMs: 5000 });
  await kv.put({ key: text("lease/revoked/2"), value: text("2"), lease: revokeMe.id }, { timeoutMs: 5000 });
  const revoked = await revoker.leaseRevoke({ id: revokeMe.id }, { timeoutMs: 5000 });
  expect(revoked.deleted).toBe(2n);
  for (const node of cluster.nodes) {
    await eventually(`${node.id} applied the revoke`, () => goneEverywhere([node], "lease/revoked/1"));
    expect((await kvClient(node.endpoint).range({ prefix: text("lease/revoked/") }, { timeoutMs: 5000 })).count).toBe(0n);
  }
}, 90_000);

test("killing the leader during a lease does not expire it early: the new leader gives it a fresh TTL window", async () => {
  const ttlSeconds = 4;
  const oldLeaderId = await eventually("a leader", () => leaderId(nodeAt(0)));
  const oldLeader = cluster.node(oldLeaderId);
  const survivors = cluster.nodes.filter((n) => n !== oldLeader);
  const first = survivors[0] ?? nodeAt(0);
  const granted = await leaseClient(first.endpoint).leaseGrant({ ttlSeconds: BigInt(ttlSeconds) }, { timeoutMs: 5000 });
  await kvClient(first.endpoint).put({ key: text("lease/failover"), value: text("v"), lease: granted.id }, { timeoutMs: 5000 });
  await leaseClient(oldLeader.endpoint).leaseKeepAlive({ id: granted.id }, { timeoutMs: 5000 });
  // Most of the window is used up on the old leader's clock before it dies: a
  // new leader that carried the old deadline over would expire the lease
  // before the election is even over.
  await Bun.sleep(ttlSeconds * 1000 * 0.75);
  await oldLeader.kill();

  const newLeaderId = await eventually(
    "a new leader",
    async () => {
      const id = await leaderId(first);
      return id !== undefined && id !== oldLeaderId ? id : undefined;
    },
    30_000,
  );
  const newLeader = cluster.node(newLeaderId);
  const ttl = await leaseClient(newLeader.endpoint).leaseTimeToLive({ id: granted.id }, { timeoutMs: 5000 });
  expect(ttl.grantedTtlSeconds).toBe(BigInt(ttlSeconds));
  // A fresh window: more than half the TTL left (the old leader's deadline is about a second after the kill).
  expect(ttl.ttlSeconds).toBeGreaterThan(BigInt(ttlSeconds / 2));
  expect((await kvClient(newLeader.endpoint).get({ key: text("lease/failover") }, { timeoutMs: 5000 })).found).toBe(true);
  // It is the same lease, alive: the new leader accepts keep-alives for it.
  const renewed = await leaseClient(first.endpoint).leaseKeepAlive({ id: granted.id }, { timeoutMs: 5000 });
  expect(renewed.ttlSeconds).toBe(BigInt(ttlSeconds));

  // Left alone, the new leader expires it, and both survivors delete the key.
  await eventually("the lease's key gone on the survivors", () => goneEverywhere(survivors, "lease/failover"), 30_000);
}, 90_000);
