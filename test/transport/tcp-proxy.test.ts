import { afterEach, describe, expect, test } from "bun:test";
import { eventually } from "../support/eventually.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { startNode, type TestNode, text, transportPollMs } from "./transport-harness.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** Node a sends to node b through a proxy in front of b's Raft port. */
async function proxiedLink(): Promise<{ a: TestNode; b: TestNode; proxy: TcpProxy }> {
  const a = await startNode("a", { reconnectInitialMs: 10, reconnectMaxMs: 50 });
  const b = await startNode("b");
  const proxy = await TcpProxy.start({ listenPort: 0, target: b.address });
  cleanups.push(
    () => a.transport.close(),
    () => b.transport.close(),
    () => proxy.close(),
  );
  a.transport.setPeer("b", proxy.address);
  return { a, b, proxy };
}

async function expectDelivered(a: TestNode, b: TestNode, message: string): Promise<void> {
  // Resend until it arrives: after a fault the first frames may be lost with the old connection.
  await eventually(
    `delivery of ${message}`,
    () => {
      if (b.inbox.texts().includes(`a:${message}`)) return true;
      a.transport.send("b", text(message));
      return false;
    },
    5000,
    transportPollMs,
  );
}

describe("tcp proxy", () => {
  test("forwards bytes both ways", async () => {
    const echo = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (socket, chunk) => void socket.write(chunk) },
    });
    const proxy = await TcpProxy.start({ listenPort: 0, target: `127.0.0.1:${echo.port}` });
    cleanups.push(
      async () => echo.stop(true),
      () => proxy.close(),
    );
    let received = "";
    const client = await Bun.connect({
      hostname: "127.0.0.1",
      port: proxy.port,
      socket: {
        data: (_socket, chunk) => {
          received += new TextDecoder().decode(chunk);
        },
      },
    });
    client.write("hello through the proxy");
    await eventually("the echo through the proxy", () => received === "hello through the proxy", 5000, transportPollMs);
    client.end();
    expect(proxy.stats().forwardedBytes).toBeGreaterThanOrEqual(2 * "hello through the proxy".length);
  });

  test("a clean close still delivers what was sent before it, even with a delay", async () => {
    let received = "";
    let closedByProxy = false;
    const sink = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data: (_socket, chunk) => {
          received += new TextDecoder().decode(chunk);
        },
        close: () => {
          closedByProxy = true;
        },
      },
    });
    const proxy = await TcpProxy.start({ listenPort: 0, target: `127.0.0.1:${sink.port}` });
    cleanups.push(
      async () => sink.stop(true),
      () => proxy.close(),
    );
    proxy.setDelay(50);
    const client = await Bun.connect({ hostname: "127.0.0.1", port: proxy.port, socket: { data: () => {} } });
    client.write("last words");
    client.end();
    await eventually("the proxy to pass the close on", () => closedByProxy, 5000, transportPollMs);
    expect(received).toBe("last words");
  });

  test("carries transport traffic unchanged", async () => {
    const { a, b } = await proxiedLink();
    for (let i = 0; i < 1000; i++) a.transport.send("b", text(`m${i}`));
    await b.inbox.waitForCount(1000);
    expect(b.inbox.texts()).toEqual(Array.from({ length: 1000 }, (_, i) => `a:m${i}`));
  });

  test("cut (blackhole): nothing arrives; heal: flow resumes", async () => {
    const { a, b, proxy } = await proxiedLink();
    await expectDelivered(a, b, "before");
    proxy.cut();
    const countAtCut = b.inbox.messages.length;
    for (let i = 0; i < 100; i++) a.transport.send("b", text(`during-${i}`));
    await eventually("bytes to reach the blackhole", () => proxy.stats().discardedBytes > 0, 5000, transportPollMs);
    await Bun.sleep(100);
    expect(b.inbox.messages.length).toBe(countAtCut);
    // A blackhole looks like a live connection to the sender.
    expect(a.transport.stats().peers.b?.connected).toBe(true);

    proxy.heal();
    await expectDelivered(a, b, "after");
    expect(b.inbox.texts().filter((t) => t.startsWith("a:during-"))).toEqual([]);
  });

  test("cut (reset): the link goes down and new connections are refused until heal", async () => {
    const { a, b, proxy } = await proxiedLink();
    await expectDelivered(a, b, "before");
    proxy.cut("reset");
    await eventually("link down", () => a.transport.stats().peers.b?.connected === false, 5000, transportPollMs);
    const countAtCut = b.inbox.messages.length;
    const acceptedAtCut = proxy.stats().acceptedConnections;
    for (let i = 0; i < 10; i++) {
      a.transport.send("b", text(`during-${i}`));
      await Bun.sleep(20);
    }
    // The transport kept trying, and every attempt was turned away.
    await eventually("reconnect attempts", () => proxy.stats().acceptedConnections > acceptedAtCut, 5000, transportPollMs);
    expect(b.inbox.messages.length).toBe(countAtCut);

    proxy.heal();
    await expectDelivered(a, b, "after");
  });

  test("delay adds latency to every chunk", async () => {
    const { a, b, proxy } = await proxiedLink();
    await expectDelivered(a, b, "warm-up");
    const delayMs = 150;
    proxy.setDelay(delayMs);
    const sentAt = performance.now();
    a.transport.send("b", text("delayed"));
    await eventually("the delayed message", () => b.inbox.texts().includes("a:delayed"), 5000, transportPollMs);
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(delayMs - 5);

    proxy.setDelay(0);
    for (let i = 0; i < 100; i++) a.transport.send("b", text(`order-${i}`));
    const ordered = (): string[] => b.inbox.texts().filter((t) => t.startsWith("a:order-"));
    await eventually("100 ordered messages", () => ordered().length >= 100, 5000, transportPollMs);
    expect(ordered()).toEqual(Array.from({ length: 100 }, (_, i) => `a:order-${i}`));
  });

  test("drop rate 1 loses every chunk with its connection; rate 0 restores the link", async () => {
    const { a, b, proxy } = await proxiedLink();
    await expectDelivered(a, b, "before");
    proxy.setDropRate(1, () => 0);
    const countAtDrop = b.inbox.messages.length;
    for (let i = 0; i < 20; i++) {
      a.transport.send("b", text(`lost-${i}`));
      await Bun.sleep(10);
    }
    await eventually("dropped connections", () => proxy.stats().droppedConnections >= 2, 5000, transportPollMs);
    expect(b.inbox.messages.length).toBe(countAtDrop);

    proxy.setDropRate(0);
    await expectDelivered(a, b, "after");
  });

  test("rejects nonsense settings", async () => {
    const proxy = await TcpProxy.start({ listenPort: 0, target: "127.0.0.1:1" });
    cleanups.push(() => proxy.close());
    expect(() => proxy.setDropRate(1.5)).toThrow("drop rate");
    expect(() => proxy.setDelay(-1)).toThrow("delay");
    await expect(TcpProxy.start({ listenPort: 0, target: "nonsense" })).rejects.toThrow("host:port");
  });
});
