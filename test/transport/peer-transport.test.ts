import { afterEach, describe, expect, test } from "bun:test";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import { eventually } from "../support/eventually.ts";
import { meshPeers, startNode, type TestNode, text, transportPollMs } from "./transport-harness.ts";

const started: TestNode[] = [];
async function node(id: string, options: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, options);
  started.push(n);
  return n;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.transport.close()));
});

describe("peer transport", () => {
  test("two nodes exchange messages both ways", async () => {
    const a = await node("a");
    const b = await node("b");
    meshPeers([a, b]);
    expect(a.transport.send("b", text("ping"))).toBe(true);
    await b.inbox.waitForCount(1);
    expect(b.inbox.texts()).toEqual(["a:ping"]);
    expect(b.transport.send("a", text("pong"))).toBe(true);
    await a.inbox.waitForCount(1);
    expect(a.inbox.texts()).toEqual(["b:pong"]);
  });

  test("three nodes: every node hears every other, sender ids intact", async () => {
    const nodes = [await node("n1"), await node("n2"), await node("n3")];
    meshPeers(nodes);
    for (const from of nodes) {
      for (const to of nodes) {
        if (from !== to) from.transport.send(to.transport.selfId, text(`to-${to.transport.selfId}`));
      }
    }
    for (const n of nodes) {
      await n.inbox.waitForCount(2);
      const expected = nodes
        .filter((other) => other !== n)
        .map((other) => `${other.transport.selfId}:to-${n.transport.selfId}`)
        .sort();
      expect(n.inbox.texts().sort()).toEqual(expected);
    }
  });

  test("100k small messages arrive complete and in order on one link", async () => {
    const total = 100_000;
    // A queue that holds them all: this test is about order and loss, not the bound.
    const a = await node("a", { maxQueuedFrames: total });
    const b = await node("b");
    a.transport.setPeer("b", b.address);
    // Payloads are views into one buffer (send copies them into frames).
    const payloads = new Uint8Array(total * 100);
    const sequence = new DataView(payloads.buffer);
    let refused = 0;
    for (let i = 0; i < total; i++) {
      sequence.setUint32(i * 100, i);
      if (!a.transport.send("b", payloads.subarray(i * 100, (i + 1) * 100))) refused++;
    }
    expect(refused).toBe(0);
    await b.inbox.waitForCount(total, 20_000);
    expect(b.inbox.messages.length).toBe(total);
    // Payloads are views into receive buffers; checking them only now, after
    // every later chunk arrived, shows no buffer was reused underneath them.
    for (let i = 0; i < total; i++) {
      const message = b.inbox.messages[i];
      if (message === undefined) throw new Error(`message ${i} missing`);
      const sequence = new DataView(message.payload.buffer, message.payload.byteOffset).getUint32(0);
      if (sequence !== i) throw new Error(`message ${i} carries sequence ${sequence}`);
    }
    const stats = a.transport.stats().peers.b;
    expect(stats?.sentFrames).toBe(total);
    expect(stats?.droppedFrames).toBe(0);
  });

  test("a large payload (several MiB) arrives intact", async () => {
    const a = await node("a");
    const b = await node("b");
    a.transport.setPeer("b", b.address);
    const payload = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) % 251;
    expect(a.transport.send("b", payload)).toBe(true);
    await b.inbox.waitForCount(1, 10_000);
    const received = b.inbox.messages[0]?.payload ?? new Uint8Array();
    expect(received.length).toBe(payload.length);
    expect(Buffer.from(received).equals(payload)).toBe(true);
  });

  test("a payload larger than maxFrameBytes is refused at send and counted", async () => {
    const a = await node("a", { maxFrameBytes: 1024 });
    const b = await node("b");
    a.transport.setPeer("b", b.address);
    expect(a.transport.send("b", new Uint8Array(2000))).toBe(false);
    expect(a.transport.stats().peers.b?.droppedFrames).toBe(1);
  });

  test("sending to an unknown peer returns false and is counted", async () => {
    const a = await node("a");
    expect(a.transport.send("nobody", text("x"))).toBe(false);
    expect(a.transport.stats().droppedForUnknownPeer).toBe(1);
  });

  test("setPeer with a new address moves the link to it", async () => {
    const a = await node("a");
    const oldB = await node("b");
    a.transport.setPeer("b", oldB.address);
    a.transport.send("b", text("first"));
    await oldB.inbox.waitForCount(1);

    const newB = await node("b");
    a.transport.setPeer("b", newB.address);
    expect(a.transport.stats().peers.b?.address).toBe(newB.address);
    a.transport.send("b", text("second"));
    await newB.inbox.waitForCount(1);
    expect(newB.inbox.texts()).toEqual(["a:second"]);
    expect(oldB.inbox.texts()).toEqual(["a:first"]);
  });

  test("setPeer rejects an address that is not host:port", async () => {
    const a = await node("a");
    expect(() => a.transport.setPeer("b", "not-an-address")).toThrow("host:port");
    expect(() => a.transport.setPeer("a", "127.0.0.1:1")).toThrow("own peer");
  });

  test("a node of another cluster cannot deliver: its connections are rejected and it keeps retrying with backoff", async () => {
    const b = await node("b");
    const stranger = await node("stranger", { clusterId: "some-other-cluster" });
    stranger.transport.setPeer("b", b.address);
    stranger.transport.send("b", text("hi"));
    await eventually("rejections", () => b.transport.stats().inbound.rejectionsByKind["foreign-cluster"] >= 2, 5000, transportPollMs);
    expect(b.inbox.messages).toEqual([]);
    expect(stranger.transport.stats().peers.b?.reconnects).toBeGreaterThanOrEqual(1);
  });

  test("removePeer forgets the peer", async () => {
    const a = await node("a");
    const b = await node("b");
    a.transport.setPeer("b", b.address);
    a.transport.removePeer("b");
    expect(a.transport.send("b", text("x"))).toBe(false);
    expect(a.transport.stats().peers.b).toBeUndefined();
  });

  test("a handler that throws does not break the connection", async () => {
    let calls = 0;
    const b = await PeerTransport.listen({
      clusterId: "cluster-test",
      selfId: "b",
      host: "127.0.0.1",
      port: 0,
      onMessage: () => {
        calls++;
        if (calls === 1) throw new Error("handler bug");
      },
    });
    const a = await node("a");
    try {
      a.transport.setPeer("b", `127.0.0.1:${b.port}`);
      a.transport.send("b", text("1"));
      a.transport.send("b", text("2"));
      await eventually("both frames at the callback", () => calls === 2, 5000, transportPollMs);
      expect(b.stats().inbound.rejectedConnections).toBe(0);
    } finally {
      await b.close();
    }
  });

  test("listening on a port in use fails with the address in the error", async () => {
    const a = await node("a");
    const attempt = PeerTransport.listen({
      clusterId: "cluster-test",
      selfId: "other",
      host: "127.0.0.1",
      port: a.transport.port,
      onMessage: () => {},
    });
    await expect(attempt).rejects.toThrow(`127.0.0.1:${a.transport.port}`);
  });
});
