import { afterEach, describe, expect, test } from "bun:test";
import { eventually } from "../support/eventually.ts";
import { startNode, type TestNode, text, transportPollMs } from "./transport-harness.ts";

const started: TestNode[] = [];
async function node(id: string, options: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, options);
  started.push(n);
  return n;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.transport.close()));
});

/** Starts a node on a given port, retrying briefly while the old socket's port is released. */
async function nodeOnPort(id: string, port: number): Promise<TestNode> {
  return eventually(`${id} listening on port ${port} again`, () => node(id, { port }), 1000, 20);
}

describe("peer transport: a peer that is down", () => {
  test("the queue stays within its bounds, the excess is dropped and counted, and new messages flow after the peer returns", async () => {
    const maxQueuedFrames = 100;
    const maxQueuedBytes = 64 * 1024;
    const a = await node("a", { maxQueuedFrames, maxQueuedBytes });
    const b = await node("b");
    const port = b.transport.port;
    a.transport.setPeer("b", b.address);
    a.transport.send("b", text("before"));
    await b.inbox.waitForCount(1);
    await b.transport.close();
    started.splice(started.indexOf(b), 1);
    await eventually("link to notice the peer is gone", () => a.transport.stats().peers.b?.connected === false, 5000, transportPollMs);

    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      if (a.transport.send("b", new Uint8Array(200))) accepted++;
    }
    const down = a.transport.stats().peers.b;
    if (down === undefined) throw new Error("no stats for b");
    expect(accepted).toBeLessThanOrEqual(maxQueuedFrames);
    expect(down.queuedFrames).toBeLessThanOrEqual(maxQueuedFrames);
    expect(down.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes);
    expect(down.droppedFrames).toBeGreaterThanOrEqual(10_000 - maxQueuedFrames);
    await eventually("reconnect attempts", () => (a.transport.stats().peers.b?.connectFailures ?? 0) >= 2, 5000, transportPollMs);

    const revived = await nodeOnPort("b", port);
    await eventually("reconnect to the revived peer", () => a.transport.stats().peers.b?.connected === true, 5000, transportPollMs);
    a.transport.send("b", text("after"));
    await eventually("message after reconnect", () => revived.inbox.texts().includes("a:after"), 5000, transportPollMs);
    const up = a.transport.stats().peers.b;
    expect(up?.reconnects).toBeGreaterThanOrEqual(1);
    // Frames queued while the peer was down are delivered too, ahead of the new one.
    expect(revived.inbox.messages.length).toBe(accepted + 1);
    expect(revived.inbox.texts().at(-1)).toBe("a:after");
  });

  test("a dead peer does not hold back messages to a live one", async () => {
    const a = await node("a", { maxQueuedFrames: 50 });
    const live = await node("live");
    a.transport.setPeer("dead", "127.0.0.1:1");
    a.transport.setPeer("live", live.address);
    for (let i = 0; i < 1000; i++) a.transport.send("dead", new Uint8Array(100));
    for (let i = 0; i < 40; i++) expect(a.transport.send("live", text(`m${i}`))).toBe(true);
    await live.inbox.waitForCount(40);
    expect(live.inbox.texts()).toEqual(Array.from({ length: 40 }, (_, i) => `a:m${i}`));
    const stats = a.transport.stats().peers;
    expect(stats.dead?.queuedFrames).toBeLessThanOrEqual(50);
    expect(stats.dead?.droppedFrames).toBe(950);
    expect(stats.live?.droppedFrames).toBe(0);
  });
});

describe("peer transport: a peer that does not read", () => {
  test("socket backpressure keeps the rest in the bounded queue; other peers are unaffected", async () => {
    // A server that accepts and never reads: the kernel buffers fill, then writes return short.
    const stuck = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { open: (socket) => socket.pause(), data: () => {} },
    });
    const maxQueuedBytes = 4 * 1024 * 1024;
    const a = await node("a", { maxQueuedBytes });
    const live = await node("live");
    try {
      a.transport.setPeer("stuck", `127.0.0.1:${stuck.port}`);
      a.transport.setPeer("live", live.address);
      await eventually("connect to the stuck peer", () => a.transport.stats().peers.stuck?.connected === true, 5000, transportPollMs);
      const chunk = new Uint8Array(64 * 1024);
      let round = 0;
      await eventually(
        "the stuck peer's queue to fill",
        () => {
          for (let i = 0; i < 16; i++) a.transport.send("stuck", chunk);
          a.transport.send("live", text(`r${round++}`));
          return (a.transport.stats().peers.stuck?.droppedFrames ?? 0) > 0;
        },
        20_000,
        transportPollMs,
      );
      const stats = a.transport.stats().peers.stuck;
      expect(stats?.connected).toBe(true);
      expect(stats?.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes);
      // The kernel took some bytes before pushing back, the rest waited in the queue.
      expect(stats?.sentBytes).toBeGreaterThan(0);
      expect(stats?.queuedBytes).toBeGreaterThan(0);
      await live.inbox.waitForCount(round);
      expect(live.inbox.texts()).toEqual(Array.from({ length: round }, (_, i) => `a:r${i}`));
    } finally {
      stuck.stop(true);
    }
  });
});
