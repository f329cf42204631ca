/**
 * Peer transport micro-benchmark (a benchmark, not a test):
 *   bun bench/transport.bench.ts            both parts
 *   bun bench/transport.bench.ts --messages 2000000
 *
 * 1. Messages/s of 100-byte payloads one way on one connection, sender and
 *    receiver in separate Bun processes (as in a cluster), and again in one
 *    process (both ends share one event loop and one core).
 * 2. Frame encode/decode cost per 100-byte message (mitata).
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { bench, do_not_optimize, run } from "mitata";
import { PeerFrameSchema } from "../src/gen/raftkv/v1/peer_pb.ts";
import { decodeFrameBody, encodeEnvelopePrefix, encodePayloadFrame, FRAME_HEADER_BYTES, FrameView } from "../src/transport/frame-codec.ts";
import { FrameReader } from "../src/transport/frame-reader.ts";
import { PeerTransport } from "../src/transport/peer-transport.ts";

const CLUSTER = "bench-cluster-0b1f6c2e";
const PAYLOAD_BYTES = 100;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/** Receiver role (child process): prints its port, then the count and time when `total` messages arrived. */
async function runReceiver(total: number): Promise<void> {
  let received = 0;
  let firstAt = 0;
  const transport = await PeerTransport.listen({
    clusterId: CLUSTER,
    selfId: "receiver",
    host: "127.0.0.1",
    port: 0,
    onMessage: () => {
      if (received === 0) firstAt = performance.now();
      received++;
      if (received === total) {
        const seconds = (performance.now() - firstAt) / 1000;
        process.stdout.write(`done ${received} ${seconds}\n`);
        void transport.close().then(() => process.exit(0));
      }
    },
  });
  process.stdout.write(`port ${transport.port}\n`);
}

/** Sends `total` payloads as fast as the queue bound allows; resolves when the last is queued. */
async function sendAll(transport: PeerTransport, to: string, total: number): Promise<number> {
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  let sent = 0;
  let dropped = 0;
  while (sent < total) {
    // Keep the queue fed without overrunning its default bound (8192 frames), as a pipelining Raft leader would.
    const queued = transport.stats().peers[to]?.queuedFrames ?? 0;
    const room = Math.min(8000 - queued, total - sent);
    for (let i = 0; i < room; i++) {
      if (transport.send(to, payload)) sent++;
      else dropped++;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return dropped;
}

async function throughputAcrossProcesses(total: number): Promise<void> {
  const child = Bun.spawn(["bun", import.meta.path, "--receiver", "--messages", String(total)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("receiver exited early");
      buffered += new TextDecoder().decode(value);
    }
  };
  const port = Number((await nextLine()).split(" ")[1]);
  const sender = await PeerTransport.listen({
    clusterId: CLUSTER,
    selfId: "sender",
    host: "127.0.0.1",
    port: 0,
    onMessage: () => {},
  });
  sender.setPeer("receiver", `127.0.0.1:${port}`);
  const startedAt = performance.now();
  const dropped = await sendAll(sender, "receiver", total);
  const [, count, receiverSeconds] = (await nextLine()).split(" ");
  const wallSeconds = (performance.now() - startedAt) / 1000;
  await sender.close();
  await child.exited;
  const rate = Math.round(total / wallSeconds);
  console.log(
    `two processes: ${count} x ${PAYLOAD_BYTES}-byte messages in ${wallSeconds.toFixed(2)} s = ${rate.toLocaleString("en")} msg/s ` +
      `(receiver-side ${Math.round(total / Number(receiverSeconds)).toLocaleString("en")} msg/s; ${dropped} refused by the queue bound)`,
  );
}

async function throughputInOneProcess(total: number): Promise<void> {
  let received = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const receiver = await PeerTransport.listen({
    clusterId: CLUSTER,
    selfId: "receiver",
    host: "127.0.0.1",
    port: 0,
    onMessage: () => {
      if (++received === total) resolveDone();
    },
  });
  const sender = await PeerTransport.listen({ clusterId: CLUSTER, selfId: "sender", host: "127.0.0.1", port: 0, onMessage: () => {} });
  sender.setPeer("receiver", `127.0.0.1:${receiver.port}`);
  const startedAt = performance.now();
  await sendAll(sender, "receiver", total);
  await done;
  const seconds = (performance.now() - startedAt) / 1000;
  console.log(
    `one process:   ${total} x ${PAYLOAD_BYTES}-byte messages in ${seconds.toFixed(2)} s = ${Math.round(total / seconds).toLocaleString("en")} msg/s`,
  );
  await Promise.all([sender.close(), receiver.close()]);
}

function codecBenchmarks(): Promise<unknown> {
  const prefix = encodeEnvelopePrefix(CLUSTER, "node-1", "node-2");
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  const frame = encodePayloadFrame(prefix, payload);
  const body = frame.subarray(FRAME_HEADER_BYTES);
  const view = new FrameView();
  const batch = new Uint8Array(frame.length * 1000);
  for (let i = 0; i < 1000; i++) batch.set(frame, i * frame.length);
  const message = create(PeerFrameSchema, {
    clusterId: CLUSTER,
    senderId: "node-1",
    recipientId: "node-2",
    body: { case: "payload", value: payload },
  });

  bench("encode payload frame (hand codec)", () => do_not_optimize(encodePayloadFrame(prefix, payload)));
  bench("decode frame body (hand codec)", () => do_not_optimize(decodeFrameBody(body, view)));
  bench("read + decode 1000 frames from one chunk", () => {
    const reader = new FrameReader(1 << 20);
    reader.push(batch, (b) => decodeFrameBody(b, view) === undefined);
  });
  bench("encode (protobuf-es toBinary, for comparison)", () => do_not_optimize(toBinary(PeerFrameSchema, message)));
  bench("decode (protobuf-es fromBinary, for comparison)", () => do_not_optimize(fromBinary(PeerFrameSchema, body)));
  return run();
}

const total = argument("--messages", 1_000_000);
if (process.argv.includes("--receiver")) {
  await runReceiver(total);
} else {
  await throughputAcrossProcesses(total);
  await throughputInOneProcess(total);
  await codecBenchmarks();
}
