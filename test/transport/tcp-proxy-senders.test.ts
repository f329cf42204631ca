import { afterEach, describe, expect, test } from "bun:test";
import { eventually } from "../support/eventually.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { RawPeerSocket, startNode, TEST_CLUSTER, type TestNode, text, transportPollMs } from "./transport-harness.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** Nodes a and c both send to b through one proxy in front of b's Raft port. */
async function twoSendersOneProxy(): Promise<{ a: TestNode; b: TestNode; c: TestNode; proxy: TcpProxy }> {
  const b = await startNode("b");
  const a = await startNode("a");
  const c = await startNode("c");
  const proxy = await TcpProxy.start({ listenPort: 0, target: b.address });
  cleanups.push(
    () => a.transport.close(),
    () => b.transport.close(),
    () => c.transport.close(),
    () => proxy.close(),
  );
  a.transport.setPeer("b", proxy.address);
  c.transport.setPeer("b", proxy.address);
  return { a, b, c, proxy };
}

/** Resends until b has it: frames sent into a cut or a replaced connection are lost, as Raft expects. */
async function expectDelivered(from: TestNode, b: TestNode, message: string): Promise<void> {
  const label = `${from.transport.selfId}:${message}`;
  await eventually(
    `delivery of ${label}`,
    () => {
      if (b.inbox.texts().includes(label)) return true;
      from.transport.send("b", text(message));
      return false;
    },
    5000,
    transportPollMs,
  );
}

function receivedFrom(b: TestNode, sender: string): string[] {
  return b.inbox.texts().filter((t) => t.startsWith(`${sender}:`));
}

/** Sends a burst from a while c keeps flowing; returns once c's marker arrived, so a had every chance to get through. */
async function expectBlockedWhileOtherFlows(a: TestNode, b: TestNode, c: TestNode, round: string): Promise<void> {
  const fromABefore = receivedFrom(b, "a").length;
  for (let i = 0; i < 20; i++) a.transport.send("b", text(`${round}-blocked-${i}`));
  await Bun.sleep(100);
  await expectDelivered(c, b, `${round}-open`);
  expect(receivedFrom(b, "a").length).toBe(fromABefore);
}

describe("tcp proxy: faults by sender", () => {
  test("reads the sender and cluster id from each connection's hello", async () => {
    const { a, b, c, proxy } = await twoSendersOneProxy();
    await expectDelivered(a, b, "hi");
    await expectDelivered(c, b, "hi");
    expect(proxy.stats().connectionsBySender).toEqual({ a: 1, c: 1 });
    const hellos = proxy.hellos().sort((x, y) => x.senderId.localeCompare(y.senderId));
    expect(hellos).toEqual([
      { clusterId: TEST_CLUSTER, senderId: "a", recipientId: "b" },
      { clusterId: TEST_CLUSTER, senderId: "c", recipientId: "b" },
    ]);
    expect(proxy.stats().unidentifiedConnections).toBe(0);
  });

  test("blackholing one sender cuts only its link; unblocking restores it", async () => {
    const { a, b, c, proxy } = await twoSendersOneProxy();
    await expectDelivered(a, b, "before");
    await expectDelivered(c, b, "before");

    proxy.blockSenders(["a"]);
    expect([...proxy.blocked()]).toEqual([["a", "blackhole"]]);
    await expectBlockedWhileOtherFlows(a, b, c, "first");
    // A blackhole looks like a live connection to the sender.
    expect(a.transport.stats().peers.b?.connected).toBe(true);

    proxy.unblockSenders(["a"]);
    expect(proxy.blocked().size).toBe(0);
    await expectDelivered(a, b, "after");
    expect(receivedFrom(b, "a").filter((t) => t.includes("blocked"))).toEqual([]);
  });

  test("a block applies to new connections too, from their first frame on", async () => {
    const { a, b, c, proxy } = await twoSendersOneProxy();
    // Blocked before a ever connected: its hello is read and the connection cut before the target sees a byte.
    proxy.blockSenders(["a"]);
    await expectBlockedWhileOtherFlows(a, b, c, "fresh");
    expect(b.transport.stats().inbound.acceptedConnections).toBe(1);
    expect(proxy.stats().connectionsBySender.a).toBe(1);
  });

  test("reset mode takes the sender's link down; heal lifts every block", async () => {
    const { a, b, c, proxy } = await twoSendersOneProxy();
    await expectDelivered(a, b, "before");
    proxy.blockSenders(["a"], "reset");
    await eventually("a's link down", () => a.transport.stats().peers.b?.connected === false, 5000, transportPollMs);
    const acceptedAtCut = proxy.stats().acceptedConnections;
    await expectBlockedWhileOtherFlows(a, b, c, "reset");
    // a keeps reconnecting and is turned away each time.
    await eventually("reconnect attempts", () => proxy.stats().acceptedConnections > acceptedAtCut + 1, 5000, transportPollMs);
    expect(proxy.stats().connectionsBySender.a).toBeUndefined();

    proxy.heal();
    expect(proxy.blocked().size).toBe(0);
    await expectDelivered(a, b, "after");
  });

  test("blocking several senders at once: a full partition of the target", async () => {
    const { a, b, c, proxy } = await twoSendersOneProxy();
    await expectDelivered(a, b, "before");
    await expectDelivered(c, b, "before");
    proxy.blockSenders(["a", "c"]);
    const countAtCut = b.inbox.messages.length;
    for (let i = 0; i < 10; i++) {
      a.transport.send("b", text(`lost-${i}`));
      c.transport.send("b", text(`lost-${i}`));
    }
    await eventually("bytes to reach the blackhole", () => proxy.stats().discardedBytes > 0, 5000, transportPollMs);
    await Bun.sleep(100);
    expect(b.inbox.messages.length).toBe(countAtCut);
    proxy.unblockSenders();
    await expectDelivered(a, b, "after");
    await expectDelivered(c, b, "after");
  });

  test("a sender's delay holds back only its own link", async () => {
    const { a, b, c, proxy } = await twoSendersOneProxy();
    await expectDelivered(a, b, "warm-up");
    await expectDelivered(c, b, "warm-up");
    proxy.setSenderDelay("a", 300);
    a.transport.send("b", text("slow"));
    c.transport.send("b", text("fast"));
    await eventually("the delayed message", () => b.inbox.texts().includes("a:slow"), 5000, transportPollMs);
    const order = b.inbox.texts().filter((t) => t === "a:slow" || t === "c:fast");
    expect(order).toEqual(["c:fast", "a:slow"]);

    proxy.setSenderDelay("a", undefined);
    expect(() => proxy.setSenderDelay("a", -1)).toThrow("delay");
  });

  test("a sender's drop rate loses only its own connections", async () => {
    const { a, b, c, proxy } = await twoSendersOneProxy();
    await expectDelivered(a, b, "before");
    proxy.setSenderDropRate("a", 1);
    const droppedBefore = proxy.stats().droppedConnections;
    await expectBlockedWhileOtherFlows(a, b, c, "lossy");
    expect(proxy.stats().droppedConnections).toBeGreaterThan(droppedBefore);
    proxy.setSenderDropRate("a", undefined);
    await expectDelivered(a, b, "after");
    expect(() => proxy.setSenderDropRate("a", 2)).toThrow("drop rate");
  });

  test("bytes that are not a hello pass through unchanged, so the target still rejects them", async () => {
    const { b, proxy } = await twoSendersOneProxy();
    const rejectedBefore = b.transport.stats().inbound.rejectedConnections;
    const raw = await RawPeerSocket.connect(proxy.port);
    raw.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await raw.expectClosedWithin(3000);
    expect(b.transport.stats().inbound.rejectionsByKind["oversized-frame"]).toBe(1);
    expect(b.transport.stats().inbound.rejectedConnections).toBe(rejectedBefore + 1);
    expect(proxy.stats().unidentifiedConnections).toBe(1);
  });
});
