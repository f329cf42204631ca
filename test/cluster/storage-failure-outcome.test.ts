import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { RaftkvClient, WriteOutcomeUnknownError } from "../../src/client/index.ts";
import { nodeTransportFactory } from "../../src/client/transport-for.ts";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { fastRaftFlags, ProxiedCluster } from "./proxied-cluster.ts";
import { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();

let cluster: ProxiedCluster | undefined;
let failing: ServeProcess | undefined;
afterAll(async () => {
  await failing?.kill();
  await cluster?.stop();
});

/**
 * The leader's disk fails while it writes a batch of log entries (an
 * injected I/O error inside raft.db's transaction). It had already sent
 * those entries to its followers (a leader appends before its own fsync),
 * so they may commit without it: the client must be told the outcome is
 * unknown, never that the write failed.
 */
test("a write in flight when the leader's log write fails is reported as outcome unknown, not as a failure", async () => {
  const c = await ProxiedCluster.start({ size: 3 });
  cluster = c;
  const leader = await c.awaitLeader();
  const member = c.member(leader.id);
  await leader.kill();
  // The same node, its disk now failing on the 12th log write from its start.
  failing = new ServeProcess({
    id: leader.id,
    dataDir: leader.dataDir,
    env: { RAFTKV_FAILPOINTS: "log.persist.before-commit=error@12" },
    flags: ["--raft-listen", `127.0.0.1:${member.raftPort}`, "--advertise-raft", member.proxy.address, ...fastRaftFlags],
  });
  await failing.start();
  const survivors = c.others(leader.id);
  // It leads again (the others hand over to it), so the failing writes are its own.
  const current = await c.awaitLeader([...survivors, failing]);
  if (current.id !== leader.id) {
    await current.clusterClient().transferLeadership({ id: leader.id }, { timeoutMs: 5000 });
  }
  await eventually("the failing node leads", async () => ((await ProxiedCluster.leaderSeenBy(failing as ServeProcess)) === leader.id ? true : undefined));

  const client = new RaftkvClient({ endpoints: [failing.endpoint], transport: nodeTransportFactory("grpc"), discoverMembers: false });
  let unknown: WriteOutcomeUnknownError | undefined;
  const acknowledged: string[] = [];
  for (let i = 0; i < 40 && unknown === undefined; i++) {
    try {
      await client.put(utf8.encode(`k${i}`), utf8.encode(`v${i}`), { timeoutMs: 5000 });
      acknowledged.push(`k${i}`);
    } catch (error) {
      if (error instanceof WriteOutcomeUnknownError) unknown = error;
      else throw new Error(`write k${i} failed with a definite error, which the node cannot know: ${String(error)}`);
    }
  }
  expect(unknown).toBeDefined();
  expect(unknown?.code).toBe(Code.DeadlineExceeded);
  expect(unknown?.rawMessage).toMatch(/outcome is unknown/);
  expect(failing.hasLogged("raft engine stopped")).toBe(true);

  // The survivors elect a leader and keep every acknowledged write.
  const after = await c.awaitLeader(survivors, 20_000);
  for (const key of acknowledged) {
    const answer = await after.client().get({ key: utf8.encode(key), consistency: Consistency.LINEARIZABLE }, { timeoutMs: 5000 });
    expect(answer.found).toBe(true);
  }
  // A node whose engine stopped takes no new writes, and says why.
  const refused = await failing
    .client()
    .put({ key: utf8.encode("after"), value: utf8.encode("x") }, { timeoutMs: 3000 })
    .then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
  expect(refused?.rawMessage).toMatch(/storage failure|engine stopped/);
}, 90_000);
