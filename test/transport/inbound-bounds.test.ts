import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { encodeEnvelopePrefix, encodeHelloFrame, encodePayloadFrame } from "../../src/transport/frame-codec.ts";
import { eventually } from "../support/eventually.ts";
import { RawPeerSocket, startNode, TEST_CLUSTER, type TestNode, text, transportPollMs } from "./transport-harness.ts";

const KiB = 1024;
const maxInboundConnections = 8;
const maxFrameBytes = 768 * KiB;
const maxInboundBufferedBytes = 1024 * KiB;

let target: TestNode;
let good: TestNode;
const raws: RawPeerSocket[] = [];

beforeAll(async () => {
  target = await startNode("target", {
    maxInboundConnections,
    maxFrameBytes,
    maxInboundBufferedBytes,
    // Long enough that silent connections stay for the length of a test.
    handshakeTimeoutMs: 20_000,
    stalledFrameTimeoutMs: 20_000,
  });
  good = await startNode("good");
  good.transport.setPeer("target", target.address);
  target.transport.setPeer("good", good.address);
  await expectGoodPeerDelivers();
});

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.end();
  await eventually("raw connections gone", () => target.transport.stats().inbound.openConnections <= 1, 5000, transportPollMs);
});

afterAll(async () => {
  await Promise.all([target.transport.close(), good.transport.close()]);
});

const helloFrom = (sender: string): Uint8Array => encodeHelloFrame(encodeEnvelopePrefix(TEST_CLUSTER, sender, "target"));
const frameFrom = (sender: string, bytes: number): Uint8Array =>
  encodePayloadFrame(encodeEnvelopePrefix(TEST_CLUSTER, sender, "target"), new Uint8Array(bytes).fill(7));

async function connect(): Promise<RawPeerSocket> {
  const raw = await RawPeerSocket.connect(target.transport.port);
  raws.push(raw);
  return raw;
}

let round = 0;
async function expectGoodPeerDelivers(): Promise<void> {
  round++;
  good.transport.send("target", text(`round ${round}`));
  await eventually(`round ${round} delivered`, () => target.inbox.texts().includes(`good:round ${round}`), 5000, transportPollMs);
}

describe("bounds on the Raft port", () => {
  test("connections past maxInboundConnections are closed at once; a member's link keeps working", async () => {
    const before = target.transport.stats().inbound.rejectionsByKind["connection-limit"];
    // The good peer holds one; silent connections take the rest.
    const held: RawPeerSocket[] = [];
    for (let i = 1; i < maxInboundConnections; i++) held.push(await connect());
    await eventually("all held", () => target.transport.stats().inbound.openConnections === maxInboundConnections, 5000, transportPollMs);
    const extra: RawPeerSocket[] = [];
    for (let i = 0; i < 20; i++) extra.push(await connect());
    for (const raw of extra) await raw.expectClosedWithin(3000);
    expect(target.transport.stats().inbound.rejectionsByKind["connection-limit"]).toBe(before + 20);
    expect(held.every((raw) => raw.isOpen)).toBe(true);
    await expectGoodPeerDelivers();

    // A slot that frees is taken again.
    held[0]?.end();
    await eventually("a slot freed", () => target.transport.stats().inbound.openConnections < maxInboundConnections, 5000, transportPollMs);
    const later = await connect();
    later.write(helloFrom("later"));
    later.write(frameFrom("later", 10));
    await eventually("the later connection delivers", () => target.inbox.messages.some((m) => m.from === "later"), 5000, transportPollMs);
  });

  test("one connection per claimed sender: a newer one replaces the older", async () => {
    const before = target.transport.stats().inbound.supersededConnections;
    const first = await connect();
    first.write(helloFrom("twin"));
    await eventually("first hello accepted", () => target.transport.stats().inbound.openConnections === 2, 5000, transportPollMs);
    const second = await connect();
    second.write(helloFrom("twin"));
    await first.expectClosedWithin(3000);
    const third = await connect();
    third.write(helloFrom("twin"));
    await second.expectClosedWithin(3000);
    expect(third.isOpen).toBe(true);
    expect(target.transport.stats().inbound.supersededConnections).toBe(before + 2);
  });

  test("a frame header over maxFrameBytes is refused before its body is buffered", async () => {
    const before = target.transport.stats().inbound.rejectionsByKind["oversized-frame"];
    const raw = await connect();
    raw.write(helloFrom("big"));
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, maxFrameBytes + 1);
    raw.write(header);
    raw.write(new Uint8Array(64 * KiB));
    await raw.expectClosedWithin(3000);
    expect(target.transport.stats().inbound.rejectionsByKind["oversized-frame"]).toBe(before + 1);
    expect(target.transport.stats().inbound.bufferedBytes).toBe(0);
  });

  test("partial frames hold what arrived, within one budget for all connections", async () => {
    const before = target.transport.stats().inbound.rejectionsByKind["buffer-budget"];
    const frameA = frameFrom("a", 700 * KiB);
    const a = await connect();
    a.write(helloFrom("a"));
    // A length header alone reserves nothing.
    a.write(frameA.subarray(0, 4));
    await Bun.sleep(50);
    expect(target.transport.stats().inbound.bufferedBytes).toBe(0);
    a.write(frameA.subarray(4, 600 * KiB));
    await eventually("A's partial frame buffered", () => target.transport.stats().inbound.bufferedBytes >= 590 * KiB, 5000, transportPollMs);

    // B's partial frame would take the sum past the budget: B is closed, A is not.
    const frameB = frameFrom("b", 700 * KiB);
    const b = await connect();
    b.write(helloFrom("b"));
    b.write(frameB.subarray(0, 600 * KiB));
    await b.expectClosedWithin(3000);
    expect(target.transport.stats().inbound.rejectionsByKind["buffer-budget"]).toBe(before + 1);
    expect(a.isOpen).toBe(true);

    // A finishes its frame: delivered whole, and its bytes go back to the budget.
    a.write(frameA.subarray(600 * KiB));
    await eventually("A's frame delivered", () => target.inbox.messages.find((m) => m.from === "a"), 5000, transportPollMs);
    expect(target.inbox.messages.find((m) => m.from === "a")?.payload.length).toBe(700 * KiB);
    expect(target.transport.stats().inbound.bufferedBytes).toBe(0);

    // A connection that closes mid-frame gives its bytes back too.
    const c = await connect();
    c.write(helloFrom("c"));
    c.write(frameFrom("c", 700 * KiB).subarray(0, 300 * KiB));
    await eventually("C's partial frame buffered", () => target.transport.stats().inbound.bufferedBytes > 0, 5000, transportPollMs);
    c.end();
    await eventually("C's bytes released", () => target.transport.stats().inbound.bufferedBytes === 0, 5000, transportPollMs);
  });
});
