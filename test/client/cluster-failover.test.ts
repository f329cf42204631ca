import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConnectError } from "@connectrpc/connect";
import { RaftkvClient } from "../../src/client/raftkv-client.ts";
import { nodeTransportFactory } from "../../src/client/transport-for.ts";
import type { WatchUpdate } from "../../src/client/watch-update.ts";
import { WriteOutcomeUnknownError } from "../../src/client/write-outcome-unknown-error.ts";
import { CompareOp, Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { type ClusterProcess, ProcessCluster } from "../cluster/cluster-process.ts";
import { eventually } from "../support/eventually.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** Asks a node (directly) for the leader it knows; resolves once one is named and running. */
async function currentLeader(cluster: ProcessCluster): Promise<ClusterProcess> {
  return eventually(
    "a leader",
    async () => {
      for (const node of cluster.nodes) {
        if (!node.running) continue;
        const answer = await node
          .client()
          .get({ key: new TextEncoder().encode("probe"), consistency: Consistency.STALE })
          .catch(() => undefined);
        const leaderId = answer?.header?.leaderId ?? "";
        const leader = cluster.nodes.find((n) => n.id === leaderId && n.running);
        if (leader !== undefined) return leader;
      }
      return undefined;
    },
    30_000,
  );
}

/** Four writers putting unique keys through one client until stopped; remembers what was acknowledged. */
class WriteStream {
  readonly acknowledged = new Map<string, string>();
  /** Errors surfaced to the caller (unknown outcome, no quorum yet); only acknowledged writes are checked. */
  readonly reported: string[] = [];
  ackedAfterFault = 0;
  faultDone = false;
  private stopped = false;
  private readonly writers: Promise<void>[];

  constructor(
    private readonly client: RaftkvClient,
    private readonly prefix: string,
  ) {
    this.writers = [0, 1, 2, 3].map((id) => this.write(id));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.writers);
  }

  private async write(id: number): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const key = `${this.prefix}${id}/${String(i).padStart(5, "0")}`;
      const value = `v${id}.${i}`;
      try {
        await this.client.put(key, value);
        this.acknowledged.set(key, value);
        if (this.faultDone) this.ackedAfterFault++;
      } catch (error) {
        this.reported.push(error instanceof ConnectError ? error.rawMessage : String(error));
      }
    }
  }
}

/** Every acknowledged write is in node's own state (stale read: what this node has applied). */
async function expectAllWrites(node: ClusterProcess, prefix: string, acknowledged: ReadonlyMap<string, string>): Promise<void> {
  const kv = node.client();
  await eventually(
    `all ${acknowledged.size} acknowledged writes on ${node.id}`,
    async () => {
      const seen = new Map<string, string>();
      let start: Uint8Array = new Uint8Array(0);
      for (;;) {
        const page = await kv.range({ prefix: new TextEncoder().encode(prefix), start, limit: 1000, consistency: Consistency.STALE });
        for (const item of page.kvs) seen.set(text(item.key), text(item.value));
        if (!page.more) break;
        start = page.nextKey;
      }
      for (const [key, value] of acknowledged) if (seen.get(key) !== value) return undefined;
      return true;
    },
    45_000,
  );
}

describe("client against a 3-node cluster of real processes (kill -9, SIGSTOP)", () => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await ProcessCluster.start(3, fastRaftArgs);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  test("given one follower's address, the client learns every member and the leader from the Cluster service", async () => {
    const leader = await currentLeader(cluster);
    const follower = cluster.nodes.find((n) => n !== leader && n.running);
    if (follower === undefined) throw new Error("no follower");
    const client = new RaftkvClient({ endpoints: [follower.endpoint], transport: nodeTransportFactory("grpc") });
    await client.get("discover");
    // Learned while the client is in use (members record their client addresses shortly after start).
    await eventually(
      "the members' addresses",
      async () => {
        await client.get("discover");
        return client.endpoints().length === cluster.nodes.length ? true : undefined;
      },
      20_000,
    );
    expect(client.endpoints().sort()).toEqual(cluster.nodes.map((n) => n.endpoint).sort());
    expect(client.leader()).toBe(leader.id);
  }, 60_000);

  test("8 clients incrementing one counter with compare-and-swap transactions end exactly right", async () => {
    const endpoints = cluster.nodes.filter((n) => n.running).map((n) => n.endpoint);
    const key = new TextEncoder().encode("cas/counter");
    const perClient = 3;
    async function incrementer(id: number): Promise<void> {
      // Each client starts at a different node, so the transactions race through forwarding too.
      const rotated = [...endpoints.slice(id % endpoints.length), ...endpoints.slice(0, id % endpoints.length)];
      const client = new RaftkvClient({ endpoints: rotated, transport: nodeTransportFactory("grpc"), discoverMembers: false });
      let current = await client.get(key);
      for (let done = 0; done < perClient; ) {
        const modIndex = current.kv?.modIndex ?? 0n;
        const value = Number(text(current.kv?.value) || "0");
        const answer = await client.txn({
          compare: [{ key, op: CompareOp.EQUAL, target: { case: "modIndex", value: modIndex } }],
          success: [{ op: { case: "put", value: { key, value: new TextEncoder().encode(String(value + 1)) } } }],
          failure: [{ op: { case: "get", value: { key } } }],
        });
        if (answer.succeeded) {
          done++;
          current = await client.get(key);
          continue;
        }
        const read = answer.responses[0]?.op;
        current = read?.case === "get" ? read.value : await client.get(key);
      }
    }
    await Promise.all(Array.from({ length: 8 }, (_, id) => incrementer(id)));
    const client = new RaftkvClient({ endpoints, transport: nodeTransportFactory("grpc") });
    const final = await client.get(key);
    expect(text(final.kv?.value)).toBe(String(8 * perClient));
    expect(final.kv?.version).toBe(BigInt(8 * perClient));
  }, 90_000);

  test("a write sent to a frozen leader is reported as outcome unknown, not retried elsewhere", async () => {
    const leader = await currentLeader(cluster);
    const follower = cluster.nodes.find((n) => n !== leader);
    if (follower === undefined) throw new Error("no follower");
    const client = new RaftkvClient({
      endpoints: [leader.endpoint, follower.endpoint],
      transport: nodeTransportFactory("grpc"),
      retry: { timeoutMs: 20_000, attemptTimeoutMs: 1_500, initialBackoffMs: 20, maxBackoffMs: 200 },
      discoverMembers: false,
    });
    await client.put("frozen", "0");
    leader.pause();
    let failure: unknown;
    try {
      failure = await client.put("frozen", "1").catch((e: unknown) => e);
    } finally {
      leader.resume();
    }
    expect(failure).toBeInstanceOf(WriteOutcomeUnknownError);
    expect((failure as WriteOutcomeUnknownError).endpoint).toBe(leader.endpoint);
    // Applied at most once: the key was written once before, so version is 1 or 2, never 3.
    const after = await client.get("frozen");
    expect(after.kv?.version ?? 0n).toBeLessThanOrEqual(2n);
  }, 60_000);

  for (const [fault, stopLeader] of [
    ["killed (kill -9)", (node: ClusterProcess) => node.kill()],
    ["stopped gracefully (SIGTERM: GOAWAY, hand-over)", async (node: ClusterProcess) => void (await node.terminate())],
  ] as const) {
    test(`with the leader ${fault} mid-stream, writes go on through the new leader and none acknowledged is lost`, async () => {
      const leader = await currentLeader(cluster);
      const client = new RaftkvClient({
        endpoints: cluster.nodes.map((n) => n.endpoint),
        transport: nodeTransportFactory("grpc"),
        retry: { timeoutMs: 20_000, attemptTimeoutMs: 5_000, initialBackoffMs: 20, maxBackoffMs: 300 },
      });
      const prefix = `w-${leader.id}-${fault.split(" ")[0] ?? "fault"}/`;
      const writes = new WriteStream(client, prefix);
      try {
        await eventually("40 writes before the fault", async () => (writes.acknowledged.size >= 40 ? true : undefined), 30_000);
        await stopLeader(leader);
        writes.faultDone = true;
        await eventually("40 writes acknowledged after the leader went away", async () => (writes.ackedAfterFault >= 40 ? true : undefined), 45_000);
      } finally {
        await writes.stop();
      }
      const newLeader = await currentLeader(cluster);
      expect(newLeader.id).not.toBe(leader.id);

      // Bring the node back; every node must hold every acknowledged write.
      await leader.start();
      for (const node of cluster.nodes) await expectAllWrites(node, prefix, writes.acknowledged);
      expect(writes.acknowledged.size).toBeGreaterThanOrEqual(80);
    }, 150_000);
  }

  test("a prefix watch resumes on another node after its node, made leader, is killed: no gaps, no duplicates", async () => {
    const endpoints = cluster.nodes.map((n) => n.endpoint);
    const retry = { timeoutMs: 20_000, attemptTimeoutMs: 5_000, initialBackoffMs: 20, maxBackoffMs: 300 };
    const writerClient = new RaftkvClient({ endpoints, transport: nodeTransportFactory("grpc"), retry });
    const watcherClient = new RaftkvClient({ endpoints, transport: nodeTransportFactory("grpc"), retry });
    const first = await writerClient.put("ws/start", "0");
    const controller = new AbortController();
    const seen: { key: string; index: bigint }[] = [];
    const connectedTo: string[] = [];
    const watching = (async () => {
      const updates: AsyncIterable<WatchUpdate> = watcherClient.watch(
        { key: new TextEncoder().encode("ws/"), prefix: true, startIndex: first.index },
        { signal: controller.signal },
      );
      for await (const update of updates) {
        if (update.kind === "connected") connectedTo.push(update.endpoint);
        if (update.kind === "events") for (const event of update.events) seen.push({ key: text(event.kv?.key), index: event.kv?.modIndex ?? 0n });
      }
    })();
    const acknowledged = new Map<string, bigint>([["ws/start", first.index]]);
    let victim: ClusterProcess | undefined;
    try {
      for (let i = 0; i < 60; i++) {
        if (i === 20) {
          await eventually("the watch to see the first writes", async () => (seen.length >= 10 ? true : undefined), 30_000);
          const watched = connectedTo.at(-1);
          victim = cluster.nodes.find((n) => n.endpoint === watched);
          if (victim === undefined) throw new Error(`the watch is on ${String(watched)}, not a cluster node`);
          // The watched node leads when it dies: a leader failover and a watch reconnect at once.
          const target = victim;
          await eventually(
            `leadership on ${target.id}`,
            async () => {
              const answer = await target
                .clusterClient()
                .transferLeadership({ id: target.id }, { timeoutMs: 5000 })
                .catch(() => undefined);
              const status = await target
                .clusterClient()
                .status({}, { timeoutMs: 2000 })
                .catch(() => undefined);
              return answer !== undefined || status?.state === "leader" ? true : undefined;
            },
            30_000,
          );
          await victim.kill();
        }
        const key = `ws/${String(i).padStart(3, "0")}`;
        const answer = await writerClient.put(key, String(i)).catch(() => undefined);
        if (answer !== undefined) acknowledged.set(key, answer.index);
      }
      await eventually(
        "the watch to deliver every acknowledged write",
        async () => ([...acknowledged.values()].every((index) => seen.some((e) => e.index === index)) ? true : undefined),
        45_000,
      );
    } finally {
      controller.abort();
      await watching.catch(() => undefined);
      if (victim !== undefined && !victim.running) await victim.start();
    }
    // Resumed elsewhere, in order, once each.
    expect(connectedTo.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seen.length; i++) expect((seen[i]?.index ?? 0n) > (seen[i - 1]?.index ?? 0n)).toBe(true);
    for (const [key, index] of acknowledged) expect(seen.find((e) => e.index === index)?.key).toBe(key);
    expect(acknowledged.size).toBeGreaterThanOrEqual(40);
  }, 150_000);
});
