import { afterEach, expect, test } from "bun:test";
import { eventually } from "../support/eventually.ts";
import { convergedContent } from "./node-content.ts";
import { ProxiedCluster } from "./proxied-cluster.ts";
import type { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();

let cluster: ProxiedCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Writes `count` new keys through `node`, each retried until acknowledged; returns key → value. */
async function writeAll(node: ServeProcess, prefix: string, count: number): Promise<Map<string, string>> {
  const written = new Map<string, string>();
  const client = node.client();
  for (let i = 0; i < count; i++) {
    const key = `${prefix}-${String(i).padStart(3, "0")}`;
    await eventually(`put ${key} through ${node.id}`, () => client.put({ key: utf8.encode(key), value: utf8.encode(prefix) }, { timeoutMs: 2000 }), 20_000);
    written.set(key, prefix);
  }
  return written;
}

function expectAllStored(stored: readonly string[], acknowledged: ReadonlyMap<string, string>): void {
  const contents = new Set(stored);
  expect([...acknowledged].map(([k, v]) => `${k}=${v}`).filter((kv) => !contents.has(kv))).toEqual([]);
}

/** After healing, every node holds exactly the acknowledged writes (and the same applied index). */
async function healAndExpectExactly(acknowledged: ReadonlyMap<string, string>): Promise<void> {
  cluster?.heal();
  const converged = await eventually("all nodes converged after healing", () => convergedContent(cluster?.nodes ?? []), 30_000);
  expectAllStored(converged.kvs, acknowledged);
  expect(converged.kvs.length).toBe(acknowledged.size);
}

test("bridge: the leader and one follower cannot reach each other, the third node reaches both; writes go on and all converge", async () => {
  cluster = await ProxiedCluster.start({ size: 3 });
  const leader = await cluster.awaitLeader();
  const [cutOff, bridge] = cluster.others(leader.id);
  if (cutOff === undefined || bridge === undefined) throw new Error("a three-node cluster needs two followers");
  cluster.cutBetween(leader.id, cutOff.id);

  // A majority (the leader with the bridge) can always commit. Writes sent to the cut-off node may fail
  // while it knows no leader (its pre-votes are refused by the bridge, which hears a live leader).
  const acknowledged = new Map([...(await writeAll(bridge, "via-bridge", 15)), ...(await writeAll(leader, "via-leader", 10))]);

  expect(cluster.member(cutOff.id).proxy.stats().discardedBytes).toBeGreaterThan(0);
  expect(cluster.member(leader.id).proxy.stats().discardedBytes).toBeGreaterThan(0);

  await healAndExpectExactly(acknowledged);
}, 90_000);

test("one-way cut: the leader's messages to a follower are lost, the follower's still arrive; the others go on, all converge after healing", async () => {
  cluster = await ProxiedCluster.start({ size: 3 });
  const leader = await cluster.awaitLeader();
  const [deaf, hearing] = cluster.others(leader.id);
  if (deaf === undefined || hearing === undefined) throw new Error("a three-node cluster needs two followers");
  cluster.cutLink(leader.id, deaf.id);

  // The deaf follower's campaigns reach the others, who hear a live leader and refuse them (pre-vote):
  // the leader stays, and the majority side keeps committing. (Writes sent to the deaf node itself may
  // fail: it knows no leader to forward them to; a client moves on to another endpoint.)
  const acknowledged = new Map([...(await writeAll(leader, "via-leader", 15)), ...(await writeAll(hearing, "via-follower", 10))]);
  // The cut was in the path: the leader's traffic to the deaf node went into the blackhole.
  expect(cluster.member(deaf.id).proxy.stats().discardedBytes).toBeGreaterThan(0);

  await healAndExpectExactly(acknowledged);
}, 90_000);

test("slow and lossy links everywhere: acknowledged writes survive and all nodes converge once the links are clean", async () => {
  cluster = await ProxiedCluster.start({ size: 3 });
  await cluster.awaitLeader();
  for (const member of cluster.members) {
    member.proxy.setDelay(15);
    // Per read chunk, and a lost chunk takes its connection with it: frequent reconnects, as on a flaky network.
    member.proxy.setDropRate(0.02);
  }
  const writes = await Promise.all(cluster.nodes.map((node) => writeAll(node, `lossy-${node.id}`, 15)));
  const acknowledged = new Map(writes.flatMap((w) => [...w]));
  expect(cluster.members.reduce((dropped, m) => dropped + m.proxy.stats().droppedConnections, 0)).toBeGreaterThan(0);

  for (const member of cluster.members) {
    member.proxy.setDelay(0);
    member.proxy.setDropRate(0);
  }
  const converged = await eventually("all nodes converged", () => convergedContent(cluster?.nodes ?? []), 30_000);
  expectAllStored(converged.kvs, acknowledged);
  expect(converged.kvs.length).toBe(acknowledged.size);
}, 90_000);
