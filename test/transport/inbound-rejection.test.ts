import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeEnvelopePrefix, encodeHelloFrame, encodePayloadFrame } from "../../src/transport/frame-codec.ts";
import type { InboundRejectionKind } from "../../src/transport/inbound-rejection.ts";
import type { TransportLogFields } from "../../src/transport/transport-logger.ts";
import { garbage, RawPeerSocket, startNode, TEST_CLUSTER, type TestNode, text } from "./transport-harness.ts";

const warnings: { message: string; fields: TransportLogFields | undefined }[] = [];
let target: TestNode;
let good: TestNode;

beforeAll(async () => {
  target = await startNode("target", {
    maxFrameBytes: 1024 * 1024,
    handshakeTimeoutMs: 150,
    stalledFrameTimeoutMs: 150,
    isKnownPeer: (id) => id !== "banned",
    logger: {
      debug() {},
      info() {},
      warn: (message, fields) => warnings.push({ message, fields }),
    },
  });
  good = await startNode("good");
  good.transport.setPeer("target", target.address);
  target.transport.setPeer("good", good.address);
});

afterAll(async () => {
  await Promise.all([target.transport.close(), good.transport.close()]);
});

const hello = (cluster: string, sender: string, recipient: string, version?: number): Uint8Array =>
  encodeHelloFrame(encodeEnvelopePrefix(cluster, sender, recipient), version);
const validHello = (): Uint8Array => hello(TEST_CLUSTER, "intruder", "target");
const payloadFrame = (cluster: string, sender: string, recipient: string, body: string): Uint8Array =>
  encodePayloadFrame(encodeEnvelopePrefix(cluster, sender, recipient), text(body));

function rejections(kind: InboundRejectionKind): number {
  return target.transport.stats().inbound.rejectionsByKind[kind];
}

/** Sends the bytes, expects the target to close the connection for `kind`, then checks good peers still work. */
async function expectRejected(kind: InboundRejectionKind, ...writes: Uint8Array[]): Promise<RawPeerSocket> {
  const before = rejections(kind);
  const deliveredBefore = target.inbox.messages.filter((m) => m.from !== "good").length;
  const raw = await RawPeerSocket.connect(target.transport.port);
  for (const bytes of writes) raw.write(bytes);
  await raw.expectClosedWithin(3000);
  expect(rejections(kind)).toBe(before + 1);
  // Nothing from the rejected connection reached the handler.
  expect(target.inbox.messages.filter((m) => m.from !== "good").length).toBe(deliveredBefore);
  await expectGoodPeersStillWork();
  return raw;
}

let round = 0;
async function expectGoodPeersStillWork(): Promise<void> {
  round++;
  good.transport.send("target", text(`hello ${round}`));
  target.transport.send("good", text(`reply ${round}`));
  await target.inbox.waitForCount(target.inbox.messages.length + 1);
  await good.inbox.waitForCount(round);
  expect(target.inbox.texts()).toContain(`good:hello ${round}`);
  expect(good.inbox.texts()).toContain(`target:reply ${round}`);
}

describe("inbound validation on the Raft port", () => {
  test("a well-behaved raw client that says hello is accepted and delivered", async () => {
    const raw = await RawPeerSocket.connect(target.transport.port);
    raw.write(validHello());
    raw.write(payloadFrame(TEST_CLUSTER, "intruder", "target", "legit"));
    await target.inbox.waitForCount(1);
    expect(target.inbox.texts()).toContain("intruder:legit");
    expect(raw.isOpen).toBe(true);
    raw.end();
  });

  test("a hello from a foreign cluster is rejected", async () => {
    await expectRejected("foreign-cluster", hello("other-cluster", "intruder", "target"));
  });

  test("a payload frame from a foreign cluster after a valid hello is rejected", async () => {
    await expectRejected("foreign-cluster", validHello(), payloadFrame("other-cluster", "intruder", "target", "x"));
  });

  test("a frame addressed to another node is rejected", async () => {
    await expectRejected("wrong-recipient", validHello(), payloadFrame(TEST_CLUSTER, "intruder", "someone-else", "x"));
    await expectRejected("wrong-recipient", hello(TEST_CLUSTER, "intruder", "someone-else"));
  });

  test("a frame that claims a different sender than the hello is rejected", async () => {
    await expectRejected("sender-changed", validHello(), payloadFrame(TEST_CLUSTER, "good", "target", "spoof"));
  });

  test("a sender the node does not know is rejected", async () => {
    await expectRejected("unknown-sender", hello(TEST_CLUSTER, "banned", "target"));
  });

  test("a hello with another protocol version is rejected", async () => {
    await expectRejected("unsupported-version", hello(TEST_CLUSTER, "intruder", "target", 99));
  });

  test("a payload before any hello is rejected", async () => {
    await expectRejected("missing-hello", payloadFrame(TEST_CLUSTER, "intruder", "target", "x"));
  });

  test("an oversized length header is rejected, during and after the handshake", async () => {
    await expectRejected("oversized-frame", new Uint8Array([0x7f, 0xff, 0xff, 0xff]));
    // 2 MiB declared: over the 1 MiB limit; only the header is sent, nothing is allocated for it.
    await expectRejected("oversized-frame", validHello(), new Uint8Array([0x00, 0x20, 0x00, 0x00]));
  });

  test("random garbage is rejected", async () => {
    for (const seed of [1, 2, 3, 0xdeadbeef]) {
      const before = target.transport.stats().inbound.rejectedConnections;
      const raw = await RawPeerSocket.connect(target.transport.port);
      raw.write(garbage(4096, seed));
      await raw.expectClosedWithin(3000);
      expect(target.transport.stats().inbound.rejectedConnections).toBe(before + 1);
    }
    await expectGoodPeersStillWork();
  });

  test("an HTTP request sent to the Raft port by mistake is rejected", async () => {
    await expectRejected("oversized-frame", text("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  });

  test("a well-sized frame whose body is not protobuf is rejected", async () => {
    const body = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    await expectRejected("malformed-frame", new Uint8Array([0, 0, 0, body.length, ...body]));
  });

  test("a connection that sends half a frame and stalls is closed", async () => {
    const frame = payloadFrame(TEST_CLUSTER, "intruder", "target", "x".repeat(100));
    await expectRejected("stalled-frame", validHello(), frame.subarray(0, frame.length / 2));
  });

  test("a connection that never says hello is closed", async () => {
    await expectRejected("handshake-timeout");
    await expectRejected("handshake-timeout", new Uint8Array([0, 0]));
  });

  test("warnings about rejections are rate limited", async () => {
    const before = warnings.length;
    for (let i = 0; i < 20; i++) {
      const raw = await RawPeerSocket.connect(target.transport.port);
      raw.write(hello("flood-cluster", "intruder", "target"));
      await raw.expectClosedWithin(3000);
    }
    const logged = warnings.slice(before).filter((w) => w.message === "rejected Raft peer connection");
    expect(logged.length).toBeLessThanOrEqual(5);
    expect(String(warnings.find((w) => String(w.fields?.reason).includes("foreign cluster"))?.fields?.reason)).toContain("other-cluster");
  });

  test("a new connection from the same sender supersedes the old one", async () => {
    const first = await RawPeerSocket.connect(target.transport.port);
    first.write(hello(TEST_CLUSTER, "twin", "target"));
    first.write(payloadFrame(TEST_CLUSTER, "twin", "target", "one"));
    await target.inbox.waitForCount(target.inbox.messages.length + 1);
    const second = await RawPeerSocket.connect(target.transport.port);
    second.write(hello(TEST_CLUSTER, "twin", "target"));
    second.write(payloadFrame(TEST_CLUSTER, "twin", "target", "two"));
    await first.expectClosedWithin(3000);
    expect(second.isOpen).toBe(true);
    expect(target.inbox.texts().filter((t) => t.startsWith("twin:"))).toEqual(["twin:one", "twin:two"]);
    second.end();
  });
});
