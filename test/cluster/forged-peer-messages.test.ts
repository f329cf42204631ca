import { afterAll, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { encodeRaftMessage } from "../../src/engine/peer-message-codec.ts";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { Message } from "../../src/raft/message.ts";
import { encodeEnvelopePrefix, encodeHelloFrame, encodePayloadFrame, PROTOCOL_VERSION } from "../../src/transport/frame-codec.ts";
import { sampleValue, scrape } from "../ops/scrape.ts";
import { eventually } from "../support/eventually.ts";
import { RawPeerSocket } from "../transport/transport-harness.ts";
import { ProxiedCluster } from "./proxied-cluster.ts";
import type { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

let cluster: ProxiedCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

/** A peer connection opened by the test under a member's name, with the member's incarnation: only the guard stands in the way. */
async function forgePeer(port: number, clusterId: string, claimedId: string, incarnation: string, recipientId: string): Promise<(m: Message) => void> {
  const socket = await RawPeerSocket.connect(port);
  const prefix = encodeEnvelopePrefix(clusterId, claimedId, recipientId);
  socket.write(encodeHelloFrame(prefix, PROTOCOL_VERSION, incarnation, ""));
  return (m) => socket.write(encodePayloadFrame(prefix, encodeRaftMessage(m)));
}

interface View {
  readonly leaderId: string;
  readonly term: bigint;
}

async function viewOf(node: ServeProcess): Promise<View> {
  const answer = await node.client().get({ key: utf8.encode("probe"), consistency: Consistency.STALE }, { timeoutMs: 3000 });
  return { leaderId: answer.header?.leaderId ?? "", term: answer.header?.term ?? 0n };
}

function rejections(node: ServeProcess, reason: string): number {
  return node.logLines().filter((line) => line.msg === "dropped a peer message" && line.reason === reason).length;
}

test("forged peer frames (a huge term, an acknowledgement of entries never sent, an append from a node that is not the leader) are dropped: the cluster keeps serving, nothing is applied", async () => {
  cluster = await ProxiedCluster.start({ size: 3 });
  const c = cluster;
  const leader = await c.awaitLeader();
  const [follower, other] = c.others(leader.id);
  if (follower === undefined || other === undefined) throw new Error("a 3-node cluster has two followers");
  await leader.client().put({ key: utf8.encode("before"), value: utf8.encode("1") }, { timeoutMs: 5000 });
  const clusterId = (await eventually("a peer's hello at the leader's proxy", async () => c.member(leader.id).proxy.hellos()[0])).clusterId;
  const config = await leader.clusterClient().getConfiguration({}, { timeoutMs: 3000 });
  const incarnationOf = (id: string): string => config.members.find((m) => m.id === id)?.incarnation ?? "";
  const before = await viewOf(leader);
  const term = Number(before.term);
  for (const node of c.nodes) expect(await viewOf(node)).toEqual(before);

  // 1. A term just below 2^53 from "the leader" and from "a follower", to every node: once, this stopped every engine for good.
  for (const target of c.nodes) {
    const port = c.member(target.id).raftPort;
    const claimedLeader = target === leader ? follower.id : leader.id;
    const asLeader = await forgePeer(port, clusterId, claimedLeader, incarnationOf(claimedLeader), target.id);
    asLeader({ kind: "heartbeat", from: claimedLeader, to: target.id, term: 2 ** 53 - 1, commit: 0, round: 1 });
    const claimedCandidate = other === target ? follower.id : other.id;
    const asCandidate = await forgePeer(port, clusterId, claimedCandidate, incarnationOf(claimedCandidate), target.id);
    asCandidate({
      kind: "requestVote",
      from: claimedCandidate,
      to: target.id,
      term: 2 ** 53 - 2,
      preVote: false,
      transfer: true,
      lastIndex: 1e12,
      lastTerm: 2 ** 53 - 2,
    });
  }

  // 2. An acknowledgement of index 10^12 "from a follower" (its real incarnation): it used to stall every write.
  const ack = await forgePeer(c.member(leader.id).raftPort, clusterId, follower.id, incarnationOf(follower.id), leader.id);
  ack({ kind: "appendResponse", from: follower.id, to: leader.id, term, reject: false, index: 1e12, hintIndex: 0, hintTerm: 0 });

  // 3. An append at the current term "from the other follower" to a follower, aimed exactly at the end of its log:
  //    without the guard it would append, commit and apply the forged write.
  const status = await follower.clusterClient().status({}, { timeoutMs: 3000 });
  const last = Number(status.lastLogIndex);
  const forgedWrite = toBinary(CommandSchema, create(CommandSchema, { op: { case: "put", value: { key: utf8.encode("forged"), value: utf8.encode("x") } } }));
  const append = await forgePeer(c.member(follower.id).raftPort, clusterId, other.id, incarnationOf(other.id), follower.id);
  append({
    kind: "append",
    from: other.id,
    to: follower.id,
    term,
    prevIndex: last,
    prevTerm: Number(status.lastLogTerm),
    entries: [{ index: last + 1, term, kind: "normal", data: forgedWrite }],
    commit: last + 1,
  });

  // Loopback delivers the frames within milliseconds; what they would do is done by then.
  await Bun.sleep(500);
  // The cluster keeps serving: writes commit (not stalled by the forged ack), reads are linearizable, nobody moved term or leader.
  for (let i = 0; i < 5; i++) {
    await follower.client().put({ key: utf8.encode(`after-${i}`), value: utf8.encode("ok") }, { timeoutMs: 5000 });
  }
  const read = await other.client().get({ key: utf8.encode("after-4"), consistency: Consistency.LINEARIZABLE }, { timeoutMs: 5000 });
  expect(fromUtf8.decode(read.kv?.value)).toBe("ok");
  for (const node of c.nodes) expect(await viewOf(node)).toEqual(before);
  // Nothing forged was applied anywhere.
  for (const node of c.nodes) {
    const forged = await node.client().get({ key: utf8.encode("forged"), consistency: Consistency.STALE }, { timeoutMs: 3000 });
    expect(forged.found).toBe(false);
  }
  for (const node of c.nodes) expect(node.hasLogged("raft engine stopped")).toBe(false);
  // Each node said what it dropped and why.
  await eventually("every forgery logged as dropped", async () => {
    const seen =
      c.nodes.every((n) => rejections(n, "term-out-of-range") >= 2) && rejections(leader, "ack-beyond-log") >= 1 && rejections(follower, "not-the-leader") >= 1;
    return seen ? true : undefined;
  });
  const dropped = follower.logLines().find((line) => line.msg === "dropped a peer message" && line.reason === "not-the-leader");
  expect(dropped?.peer).toBe(other.id);
  expect(String(dropped?.detail)).toContain(`follows ${leader.id}`);
  // And counted them for monitoring.
  expect(sampleValue(await scrape(leader.endpoint), "raftkv_peer_messages_rejected_total", { reason: "ack-beyond-log" })).toBeGreaterThanOrEqual(1);
  expect(sampleValue(await scrape(follower.endpoint), "raftkv_peer_messages_rejected_total", { reason: "not-the-leader" })).toBeGreaterThanOrEqual(1);
}, 60_000);
