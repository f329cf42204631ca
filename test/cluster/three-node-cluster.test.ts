import { afterAll, expect, test } from "bun:test";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { type ClusterProcess, ProcessCluster } from "./cluster-process.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const levels = [Consistency.LINEARIZABLE, Consistency.LEASE, Consistency.STALE] as const;

let cluster: ProcessCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

/** Every key/value a node returns for the whole key space, as text. */
async function contents(node: ClusterProcess, consistency: Consistency): Promise<string[]> {
  const answer = await node.client().range({ prefix: new Uint8Array(0), start: utf8.encode("\0"), limit: 0, consistency }, { timeoutMs: 5000 });
  return answer.kvs.map((kv) => `${fromUtf8.decode(kv.key)}=${fromUtf8.decode(kv.value)}`);
}

async function leaderOf(node: ClusterProcess): Promise<string> {
  const answer = await node.client().get({ key: utf8.encode("probe"), consistency: Consistency.STALE }, { timeoutMs: 2000 });
  return answer.header?.leaderId ?? "";
}

test("three processes: forwarded writes, reads at every level, convergence, kill -9 of the leader and catch-up", async () => {
  cluster = await ProcessCluster.start(3);
  const nodes = cluster.nodes;

  // Writes on every node: followers forward to the leader, the answer comes back as the leader's.
  for (const node of nodes) {
    const answer = await eventually(`a put through ${node.id}`, () =>
      node.client().put({ key: utf8.encode(`via-${node.id}`), value: utf8.encode(node.id) }, { timeoutMs: 3000 }),
    );
    expect(answer.index).toBeGreaterThan(0n);
    expect(answer.header?.memberId).toBe(answer.header?.leaderId);
  }

  // Reads at each level on every node. Linearizable and lease reads see the acknowledged writes at once.
  for (const node of nodes) {
    for (const consistency of [Consistency.LINEARIZABLE, Consistency.LEASE]) {
      const got = await node.client().get({ key: utf8.encode("via-n3"), consistency }, { timeoutMs: 5000 });
      expect(fromUtf8.decode(got.kv?.value)).toBe("n3");
    }
    // A stale read is local: it converges.
    await eventually(`a stale read on ${node.id}`, async () => {
      const got = await node.client().get({ key: utf8.encode("via-n3"), consistency: Consistency.STALE });
      return got.found ? true : undefined;
    });
  }

  // Convergence: every node returns the same range at every level.
  const reference = await contents(nodes[0] as ClusterProcess, Consistency.LINEARIZABLE);
  expect(reference).toEqual(["via-n1=n1", "via-n2=n2", "via-n3=n3"]);
  for (const node of nodes) {
    for (const consistency of levels) {
      await eventually(`${node.id} converged`, async () =>
        JSON.stringify(await contents(node, consistency)) === JSON.stringify(reference) ? true : undefined,
      );
    }
  }

  // kill -9 the leader while writers keep writing through the other nodes.
  const leaderId = await eventually("the current leader", async () => {
    const id = await leaderOf(nodes[0] as ClusterProcess);
    return id === "" ? undefined : id;
  });
  const leader = cluster.node(leaderId);
  const survivors = nodes.filter((n) => n !== leader);
  const acknowledged: string[] = [];
  let writing = true;
  const writers = survivors.map(async (node, w) => {
    const client = node.client();
    for (let i = 0; writing; i++) {
      const key = `w${w}-${i}`;
      try {
        await client.put({ key: utf8.encode(key), value: utf8.encode(String(i)) }, { timeoutMs: 3000 });
        acknowledged.push(key);
      } catch {
        await Bun.sleep(20);
      }
    }
  });
  await eventually("writes flowing before the kill", async () => (acknowledged.length >= 20 ? true : undefined));
  await leader.kill();
  const ackedAtKill = acknowledged.length;

  // A new leader among the survivors, within a few election timeouts.
  const newLeaderId = await eventually(
    "a new leader",
    async () => {
      const seen = await Promise.all(survivors.map((n) => leaderOf(n)));
      const [first] = seen;
      return first !== undefined && first !== "" && first !== leaderId && seen.every((s) => s === first) ? first : undefined;
    },
    10_000,
  );
  expect(newLeaderId).not.toBe(leaderId);
  await eventually("writes acknowledged after the failover", async () => (acknowledged.length >= ackedAtKill + 20 ? true : undefined));
  writing = false;
  await Promise.all(writers);

  // Every acknowledged write is on every survivor.
  for (const node of survivors) {
    const keys = new Set((await contents(node, Consistency.LINEARIZABLE)).map((kv) => kv.split("=")[0]));
    const missing = acknowledged.filter((k) => !keys.has(k));
    expect(missing).toEqual([]);
  }

  // The killed node restarts from its data dir alone and catches up.
  await leader.start();
  const expected = await contents(survivors[0] as ClusterProcess, Consistency.LINEARIZABLE);
  await eventually(
    "the restarted node caught up",
    async () => (JSON.stringify(await contents(leader, Consistency.STALE)) === JSON.stringify(expected) ? true : undefined),
    15_000,
  );
  const restartedView = await contents(leader, Consistency.LINEARIZABLE);
  expect(restartedView.length).toBeGreaterThanOrEqual(expected.length);
  // And it forwards writes again.
  const after = await eventually("a write through the restarted node", () =>
    leader.client().put({ key: utf8.encode("after-restart"), value: utf8.encode("ok") }, { timeoutMs: 3000 }),
  );
  expect(survivors.map((n) => n.id)).toContain(after.header?.leaderId ?? "");
}, 60_000);
