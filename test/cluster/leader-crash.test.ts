import { afterAll, expect, test } from "bun:test";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { convergedContent } from "./node-content.ts";
import { ProxiedCluster } from "./proxied-cluster.ts";
import type { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

let cluster: ProxiedCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

/**
 * Concurrent writers, each through one node, each key written once; a write
 * counts only once its Put returned. Failed or timed-out writes are not
 * recorded (their outcome is unknown) and the writer moves on to a new key.
 */
class AckedWrites {
  readonly acknowledged = new Map<string, string>();
  readonly ackedVia = new Map<string, number>();
  private running = true;
  private readonly writers: Promise<void>[] = [];

  start(nodes: readonly ServeProcess[], writersPerNode: number): void {
    for (const node of nodes) {
      for (let w = 0; w < writersPerNode; w++) this.writers.push(this.write(node, `${node.id}w${w}`));
    }
  }

  get count(): number {
    return this.acknowledged.size;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.writers);
  }

  private async write(node: ServeProcess, writer: string): Promise<void> {
    for (let i = 0; this.running; i++) {
      const key = `${writer}-${String(i).padStart(5, "0")}`;
      const value = `${writer}:${i}`;
      try {
        // A fresh client per call: a killed node's connection must not linger in a cached transport.
        await node.client().put({ key: utf8.encode(key), value: utf8.encode(value) }, { timeoutMs: 2000 });
        this.acknowledged.set(key, value);
        this.ackedVia.set(node.id, (this.ackedVia.get(node.id) ?? 0) + 1);
      } catch {
        await Bun.sleep(25);
      }
    }
  }
}

test("kill -9 of the leader under concurrent writers on every node: a new leader, no acknowledged write lost, the killed node catches up", async () => {
  cluster = await ProxiedCluster.start({ size: 3 });
  const leader = await cluster.awaitLeader();
  const survivors = cluster.others(leader.id);
  const writes = new AckedWrites();
  // Two writers per node, including the leader itself: what it acknowledged just before dying is the risky part.
  writes.start(cluster.nodes, 2);
  await eventually("writes acknowledged through the leader", async () => ((writes.ackedVia.get(leader.id) ?? 0) >= 20 ? true : undefined));

  await leader.kill();
  const ackedAtKill = new Map(writes.acknowledged);

  const newLeader = await cluster.awaitLeader(survivors);
  expect(newLeader.id).not.toBe(leader.id);
  await eventually("writes acknowledged after the failover", async () => (writes.count >= ackedAtKill.size + 30 ? true : undefined));

  // The killed node restarts from its data dir while the writers go on, and its writers resume through it.
  await leader.start();
  const viaLeaderBefore = writes.ackedVia.get(leader.id) ?? 0;
  await eventually("writes through the restarted node", async () => ((writes.ackedVia.get(leader.id) ?? 0) >= viaLeaderBefore + 10 ? true : undefined), 20_000);
  await writes.stop();

  // Every node holds the same content at the same applied index, and every acknowledged write is in it.
  const converged = await eventually("all nodes converged", () => convergedContent(cluster?.nodes ?? []), 30_000);
  const stored = new Map(converged.kvs.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const lostOrWrong = [...writes.acknowledged].filter(([key, value]) => stored.get(key) !== value);
  expect(lostOrWrong).toEqual([]);
  expect([...ackedAtKill].filter(([key]) => !stored.has(key))).toEqual([]);
  // Nothing appears that no writer attempted.
  expect([...stored.keys()].filter((key) => !/^n\dw\d-\d{5}$/.test(key))).toEqual([]);

  // And the restarted node serves linearizable reads of the newest writes.
  const newest = [...writes.acknowledged.keys()].at(-1) ?? "";
  const read = await leader.client().get({ key: utf8.encode(newest), consistency: Consistency.LINEARIZABLE }, { timeoutMs: 5000 });
  expect(fromUtf8.decode(read.kv?.value)).toBe(writes.acknowledged.get(newest) ?? "");
}, 90_000);
