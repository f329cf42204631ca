import { afterAll, expect, test } from "bun:test";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { encodeEnvelopePrefix, encodeHelloFrame } from "../../src/transport/frame-codec.ts";
import { eventually } from "../support/eventually.ts";
import { garbage, RawPeerSocket } from "../transport/transport-harness.ts";
import { convergedContent } from "./node-content.ts";
import { ProxiedCluster } from "./proxied-cluster.ts";
import type { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

let cluster: ProxiedCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

/** A length header announcing ~2 GiB, then a few bytes: the node must refuse before reserving memory for it. */
function oversizedFrame(): Uint8Array {
  return new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]);
}

interface ClusterView {
  readonly leaderId: string;
  readonly term: bigint;
}

async function viewOf(node: ServeProcess): Promise<ClusterView> {
  const answer = await node.client().get({ key: utf8.encode("probe"), consistency: Consistency.STALE }, { timeoutMs: 3000 });
  return { leaderId: answer.header?.leaderId ?? "", term: answer.header?.term ?? 0n };
}

/** The node still takes writes and serves linearizable reads of them, and nobody's view of leader and term moved. */
async function expectHealthy(target: ServeProcess, nodes: readonly ServeProcess[], expected: ClusterView, key: string): Promise<void> {
  await target.client().put({ key: utf8.encode(key), value: utf8.encode("ok") }, { timeoutMs: 5000 });
  const read = await target.client().get({ key: utf8.encode(key), consistency: Consistency.LINEARIZABLE }, { timeoutMs: 5000 });
  expect(fromUtf8.decode(read.kv?.value)).toBe("ok");
  for (const node of nodes) expect(await viewOf(node)).toEqual(expected);
}

test("garbage, an oversized frame and a foreign cluster's hello on the Raft port: the connection is closed, the cluster is unharmed", async () => {
  cluster = await ProxiedCluster.start({ size: 3 });
  const leader = await cluster.awaitLeader();
  const target = cluster.member(leader.id);
  const nodes = cluster.nodes;
  const before = await viewOf(leader);
  // The real cluster id, read off a peer's hello by the proxy, so the forged frames differ in one field only.
  const peerHello = await eventually("a peer's hello at the leader's proxy", async () => target.proxy.hellos()[0]);
  const memberId = peerHello.senderId;

  const attacks: { readonly name: string; readonly bytes: Uint8Array; readonly reason: string }[] = [
    { name: "garbage", bytes: garbage(64 * 1024, 0x9e3779b9), reason: "" },
    { name: "oversized", bytes: oversizedFrame(), reason: "exceeds the limit" },
    {
      name: "foreign-cluster",
      bytes: encodeHelloFrame(encodeEnvelopePrefix("another-cluster", memberId, leader.id)),
      reason: "foreign cluster",
    },
    {
      name: "wrong-recipient",
      bytes: encodeHelloFrame(encodeEnvelopePrefix(peerHello.clusterId, memberId, "somebody-else")),
      reason: "not to this node",
    },
  ];
  for (const attack of attacks) {
    const raw = await RawPeerSocket.connect(target.raftPort);
    raw.write(attack.bytes);
    await raw.expectClosedWithin(5000);
    await expectHealthy(leader, nodes, before, `after-${attack.name}`);
  }
  const rejections = leader.logLines().filter((line) => line.msg === "rejected Raft peer connection");
  expect(rejections.length).toBe(attacks.length);
  for (const attack of attacks) {
    expect(rejections.some((line) => typeof line.reason === "string" && line.reason.includes(attack.reason))).toBe(true);
  }

  // A hello from a node that is not a member. See the report: today the transport accepts it (no isKnownPeer
  // is wired), so only the harmlessness of the hello itself is asserted here.
  const stranger = await RawPeerSocket.connect(target.raftPort);
  stranger.write(encodeHelloFrame(encodeEnvelopePrefix(peerHello.clusterId, "stranger", leader.id)));
  await expectHealthy(leader, nodes, before, "after-stranger");
  stranger.end();

  // Every node still holds the same data.
  const converged = await eventually("convergence after the attacks", () => convergedContent(nodes), 20_000);
  expect(converged.kvs).toEqual(["after-foreign-cluster=ok", "after-garbage=ok", "after-oversized=ok", "after-stranger=ok", "after-wrong-recipient=ok"]);
}, 60_000);
