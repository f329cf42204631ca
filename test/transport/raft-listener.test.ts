import { expect, test } from "bun:test";
import { RaftListener } from "../../src/transport/raft-listener.ts";
import { meshPeers, startNode, text } from "./transport-harness.ts";

test("a Raft port bound ahead closes connections until a transport attaches, then carries messages", async () => {
  const listener = RaftListener.bind("127.0.0.1", 0);
  const closed = Promise.withResolvers<void>();
  await Bun.connect({ hostname: "127.0.0.1", port: listener.port, socket: { data() {}, close: () => closed.resolve() } });
  // A peer that dials a node still starting is hung up on (it redials with backoff), not left waiting.
  await Promise.race([closed.promise, Bun.sleep(5000).then(() => Promise.reject(new Error("connection not closed")))]);

  const a = await startNode("a", { listener, port: 1 });
  const b = await startNode("b");
  try {
    expect(a.transport.port).toBe(listener.port);
    expect(() => RaftListener.bind("127.0.0.1", listener.port)).toThrow(`cannot listen for Raft peers on 127.0.0.1:${listener.port}: EADDRINUSE`);
    meshPeers([a, b]);
    b.transport.send("a", text("hello"));
    await a.inbox.waitForCount(1);
    expect(a.inbox.texts()).toEqual(["b:hello"]);
  } finally {
    await a.transport.close();
    await b.transport.close();
  }
  // The transport stopped the listener it was handed: the port is free again.
  RaftListener.bind("127.0.0.1", listener.port).stop();
});
