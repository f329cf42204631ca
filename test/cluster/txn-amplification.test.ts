import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Consistency, KV, type RequestOp } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { defaultLimits } from "../../src/service/limits.ts";
import { ProxiedCluster } from "./proxied-cluster.ts";

const utf8 = new TextEncoder();
const KEYS = 2000;
const VALUE_BYTES = 8192;

let cluster: ProxiedCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

function rangeOps(count: number, limit: number): RequestOp[] {
  return Array.from({ length: count }, () => ({ op: { case: "range", value: { prefix: utf8.encode("amp/"), limit } } }) as RequestOp);
}

/**
 * A small Txn whose ranges would each read the whole 16 MB key space: 128
 * of them once made every member build a gigabyte answer inside its apply
 * loop (an election, gigabytes of RSS). Now the key count is refused before
 * anything is proposed, and what is allowed answers at most
 * --max-response-bytes (test/engine/txn-reads-on-followers.test.ts: built
 * on the leader only).
 */
test("Txn amplification: refused before it runs past --max-txn-read-keys; within it the answer is bounded by --max-response-bytes, without an election", async () => {
  // Production Raft timings: the test is about the apply loop not stalling long enough to cost an election.
  cluster = await ProxiedCluster.start({ size: 3, flags: [] });
  const leader = await cluster.awaitLeader();
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://${leader.endpoint}`, readMaxBytes: 256 * 1024 * 1024 }));
  const value = new Uint8Array(VALUE_BYTES).fill(120);
  for (let batch = 0; batch < KEYS / 100; batch++) {
    const puts = Array.from(
      { length: 100 },
      (_, i) =>
        ({
          op: { case: "put", value: { key: utf8.encode(`amp/${String(batch * 100 + i).padStart(5, "0")}`), value } },
        }) as RequestOp,
    );
    await kv.txn({ success: puts }, { timeoutMs: 10_000 });
  }
  const before = await kv.get({ key: utf8.encode("amp/00000"), consistency: Consistency.LINEARIZABLE });
  const term = before.header?.term;

  // The request (128 ranges of 10,000 keys, a 901-byte message), with a put in place of one range.
  const attack = {
    success: [{ op: { case: "put", value: { key: utf8.encode("amp-marker"), value: utf8.encode("x") } } } as RequestOp, ...rangeOps(127, 10_000)],
  };
  const refused = await kv.txn(attack, { timeoutMs: 10_000 }).then(
    () => undefined,
    (error: unknown) => ConnectError.from(error),
  );
  expect(refused?.code).toBe(Code.ResourceExhausted);
  expect(refused?.rawMessage).toMatch(/its reads may return 1270000 keys .* over the limit of 100000 keys per transaction \(--max-txn-read-keys\)/);
  expect((await kv.get({ key: utf8.encode("amp-marker") })).found).toBe(false);

  // The most the key limit allows: 10 ranges of 10,000 keys, each able to read the whole 16 MB.
  const answer = await kv.txn({ success: rangeOps(10, 10_000) }, { timeoutMs: 30_000 });
  let bytes = 0;
  for (const response of answer.responses) {
    if (response.op.case !== "range") throw new Error("expected range answers");
    for (const kvs of response.op.value.kvs) bytes += kvs.key.length + kvs.value.length;
  }
  // The budget, plus at most one key per range (a page always holds one, so paging makes progress).
  expect(bytes).toBeLessThanOrEqual(defaultLimits.maxResponseBytes + 10 * (VALUE_BYTES + 16));
  expect(bytes).toBeGreaterThan(defaultLimits.maxResponseBytes - 2 * VALUE_BYTES);
  const last = answer.responses.at(-1)?.op;
  expect(last?.case === "range" && last.value.more).toBe(true);
  // No election, and writes go on at once.
  const started = performance.now();
  const after = await kv.put({ key: utf8.encode("after"), value: utf8.encode("ok") }, { timeoutMs: 5000 });
  expect(performance.now() - started).toBeLessThan(1000);
  expect(after.header?.term).toBe(term);
  for (const node of cluster.nodes) expect(node.hasLogged("raft engine stopped")).toBe(false);
}, 120_000);
