import { afterAll, expect, test } from "bun:test";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { contentOf, convergedContent } from "./node-content.ts";
import { ProxiedCluster } from "./proxied-cluster.ts";
import type { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

let cluster: ProxiedCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

// Longer than the cluster needs to elect and commit (a few 200 ms election timeouts), so a call that
// would succeed on the minority has every chance to; the assertion is that it never does.
const MINORITY_CALL_TIMEOUT_MS = 2500;

async function put(node: ServeProcess, key: string, value: string): Promise<bigint> {
  const answer = await node.client().put({ key: utf8.encode(key), value: utf8.encode(value) }, { timeoutMs: 5000 });
  return answer.index;
}

/** Resolves with what happened: a minority call must end in "failed", never "succeeded". */
async function outcome(call: Promise<unknown>): Promise<"succeeded" | "failed"> {
  try {
    await call;
    return "succeeded";
  } catch {
    return "failed";
  }
}

test("partitioning the leader away: the minority neither writes nor reads linearizably, the majority goes on, all converge after healing", async () => {
  cluster = await ProxiedCluster.start({ size: 3 });
  const oldLeader = await cluster.awaitLeader();
  const majority = cluster.others(oldLeader.id);
  for (const [i, node] of cluster.nodes.entries()) {
    await eventually(`a write through ${node.id}`, () => put(node, `before-${i}`, node.id));
  }

  cluster.isolate(oldLeader.id);

  // On the minority side, started at once: each call ends in an error or a timeout.
  const minorityCalls = Promise.all([
    outcome(oldLeader.client().put({ key: utf8.encode("minority-write"), value: utf8.encode("x") }, { timeoutMs: MINORITY_CALL_TIMEOUT_MS })),
    outcome(oldLeader.client().get({ key: utf8.encode("before-0"), consistency: Consistency.LINEARIZABLE }, { timeoutMs: MINORITY_CALL_TIMEOUT_MS })),
  ]);

  // The majority elects one of its own and takes writes, through either of its nodes.
  const newLeader = await cluster.awaitLeader(majority);
  expect(newLeader.id).not.toBe(oldLeader.id);
  for (const [i, node] of majority.entries()) {
    await eventually(`a majority write through ${node.id}`, () => put(node, `majority-${i}`, node.id));
  }
  expect(await minorityCalls).toEqual(["failed", "failed"]);

  // By now a new leader has committed writes, so the old leader's lease is long over: lease reads
  // fail too, as do linearizable reads and writes started now.
  const laterCalls = await Promise.all([
    outcome(oldLeader.client().get({ key: utf8.encode("majority-0"), consistency: Consistency.LEASE }, { timeoutMs: MINORITY_CALL_TIMEOUT_MS })),
    outcome(oldLeader.client().get({ key: utf8.encode("majority-0"), consistency: Consistency.LINEARIZABLE }, { timeoutMs: MINORITY_CALL_TIMEOUT_MS })),
    outcome(oldLeader.client().put({ key: utf8.encode("minority-write-2"), value: utf8.encode("y") }, { timeoutMs: MINORITY_CALL_TIMEOUT_MS })),
  ]);
  expect(laterCalls).toEqual(["failed", "failed", "failed"]);
  // The partition really held: the old leader's own state has none of the majority's writes,
  // and (check quorum) it stopped calling itself leader.
  const isolatedView = await contentOf(oldLeader);
  expect(isolatedView.kvs.filter((kv) => kv.startsWith("majority-"))).toEqual([]);
  await eventually("the isolated leader steps down", async () => ((await ProxiedCluster.leaderSeenBy(oldLeader)) !== oldLeader.id ? true : undefined));

  cluster.heal();

  // Everyone converges: same content, same applied index, on every node, read from each node's own state.
  const converged = await eventually("all nodes converged after healing", () => convergedContent(cluster?.nodes ?? []), 30_000);
  const keys = converged.kvs.map((kv) => kv.split("=")[0]);
  expect(keys).toEqual(["before-0", "before-1", "before-2", "majority-0", "majority-1"]);
  // The minority's writes were never committed: its uncommitted entries were replaced by the new leader's log.
  expect(keys).not.toContain("minority-write");
  expect(converged.appliedIndex).toBeGreaterThan(0n);

  // The old leader is a working member again: a write through it lands on the new leader's side.
  const healedIndex = await eventually("a write through the healed node", () => put(oldLeader, "after-heal", "ok"));
  const read = await oldLeader.client().get({ key: utf8.encode("after-heal"), consistency: Consistency.LINEARIZABLE }, { timeoutMs: 5000 });
  expect(fromUtf8.decode(read.kv?.value)).toBe("ok");
  expect(read.header?.index ?? 0n).toBeGreaterThanOrEqual(healedIndex);
}, 90_000);
