import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import type http2 from "node:http2";
import { ServeProcess } from "../cluster/serve-process.ts";
import { sampleValue, scrape } from "../ops/scrape.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { HeldSocket, h2Put, openSession, within } from "./client-connection-client.ts";

// Small deadlines so the test runs in seconds; the defaults are 10 s, 30 s and 5 m.
const headerTimeoutMs = 1_000;
const bodyTimeoutMs = 1_000;
const idleTimeoutMs = 2_000;
const maxConcurrentStreams = 50;
const maxRequestBytes = 64 * 1024;
/** Every deadline here is cut well within this (a generous bound, not a measurement). */
const cutBoundMs = 8_000;

let dir = "";
let node: ServeProcess | undefined;
let port = 0;
const opened: { release(): void }[] = [];

beforeAll(async () => {
  dir = tempDir("slow-clients");
  node = new ServeProcess({
    id: "n1",
    dataDir: dir,
    flags: [
      "--raft-listen",
      "127.0.0.1:0",
      "--client-header-timeout",
      `${headerTimeoutMs}ms`,
      "--client-body-timeout",
      `${bodyTimeoutMs}ms`,
      "--client-idle-timeout",
      `${idleTimeoutMs}ms`,
      "--max-concurrent-streams",
      String(maxConcurrentStreams),
      "--max-request-bytes",
      String(maxRequestBytes),
    ],
  });
  await node.start();
  port = Number(node.endpoint.split(":")[1]);
  await eventually("the node accepts writes", async () => (await fetch(`http://${node?.endpoint}/v1/kv/ready`, { method: "PUT", body: "1" })).status === 200);
});

afterAll(async () => {
  for (const thing of opened) thing.release();
  await node?.terminate();
  removeDir(dir);
});

async function held(): Promise<HeldSocket> {
  const socket = await HeldSocket.open(port);
  opened.push(socket);
  return socket;
}

async function session(): Promise<http2.ClientHttp2Session> {
  const opened2 = await openSession(port);
  opened.push({ release: () => opened2.destroy() });
  return opened2;
}

async function rejections(reason: string): Promise<number> {
  return sampleValue(await scrape(node?.endpoint ?? ""), "raftkv_client_connections_rejected_total", { reason }) ?? 0;
}

test("a connection that sends nothing is closed after the header timeout", async () => {
  const silent = await held();
  await within("closing a silent connection", cutBoundMs, silent.closed);
  expect(silent.closedByServer).toBe(true);
  expect(await rejections("first-bytes-timeout")).toBeGreaterThanOrEqual(1);
});

test("a slow-loris sending its headers a byte at a time is cut with 408", async () => {
  const loris = await held();
  loris.write("GET /healthz HTTP/1.1\r\n");
  const header = `X-Slow: ${"a".repeat(10_000)}`;
  let at = 0;
  const drip = setInterval(() => loris.write(header[at++ % header.length] ?? "a"), 100);
  try {
    await within("cutting a slow-loris", cutBoundMs, loris.closed);
  } finally {
    clearInterval(drip);
  }
  expect(loris.text).toStartWith("HTTP/1.1 408");
  expect(await rejections("header-timeout")).toBeGreaterThanOrEqual(1);
});

test("an HTTP/1.1 body that stops half way is cut after the body timeout", async () => {
  const half = await held();
  half.write(`PUT /v1/kv/half HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100\r\n\r\n${"x".repeat(40)}`);
  await within("cutting a half-sent body", cutBoundMs, half.closed);
  expect(half.closedByServer).toBe(true);
  expect(await rejections("body-timeout")).toBeGreaterThanOrEqual(1);
  expect((await fetch(`http://${node?.endpoint}/v1/kv/half`)).status).toBe(404);
});

test("an HTTP/2 stream whose body stops half way is reset; its session keeps serving", async () => {
  const h2 = await session();
  const before = await rejections("body-timeout");
  const stream = h2.request({ ":method": "POST", ":path": "/raftkv.v1.KV/Put", "content-type": "application/json" });
  stream.on("error", () => {
    // The reset is what the test waits for.
  });
  stream.write('{"key":');
  await within("resetting a half-sent stream", cutBoundMs, new Promise<void>((resolve) => stream.once("close", () => resolve())));
  expect(stream.rstCode).toBeGreaterThan(0);
  expect(await rejections("body-timeout")).toBeGreaterThan(before);
  expect((await h2Put(h2, "after-reset", "1")).status).toBe(200);
});

test("an idle keep-alive connection is told the idle timeout and closed after it", async () => {
  const keepAlive = await held();
  keepAlive.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
  await eventually("the answer", () => keepAlive.text.includes("\r\n\r\n"));
  expect(keepAlive.text.toLowerCase()).toContain(`keep-alive: timeout=${idleTimeoutMs / 1000}`);
  // A second request on it is served: keep-alive works until the connection is idle for the timeout.
  keepAlive.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
  await eventually("the second answer", () => keepAlive.text.split("HTTP/1.1 200").length === 3);
  await within("closing an idle keep-alive connection", cutBoundMs, keepAlive.closed);
  expect(keepAlive.closedByServer).toBe(true);
});

test("SETTINGS advertise --max-concurrent-streams", async () => {
  const h2 = await session();
  expect(h2.remoteSettings.maxConcurrentStreams).toBe(maxConcurrentStreams);
});

test("an idle HTTP/2 session gets GOAWAY after the idle timeout", async () => {
  const h2 = await session();
  expect((await h2Put(h2, "idle/1", "1")).status).toBe(200);
  await within("GOAWAY on an idle session", cutBoundMs, new Promise<void>((resolve) => h2.once("goaway", () => resolve())));
});

/** A Watch of `prefix` over Connect server streaming; resolves with the stream once the server sent its first message. */
function openWatch(h2: http2.ClientHttp2Session, prefix: string): Promise<{ stream: http2.ClientHttp2Stream; text: () => string }> {
  const request = Buffer.from(JSON.stringify({ key: btoa(prefix), prefix: true }));
  const envelope = Buffer.alloc(5 + request.length);
  envelope.writeUInt32BE(request.length, 1);
  request.copy(envelope, 5);
  const stream = h2.request({ ":method": "POST", ":path": "/raftkv.v1.KV/Watch", "content-type": "application/connect+json" });
  let received = "";
  stream.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  stream.end(envelope);
  return eventually("the watch is created", () => received.includes("created") && { stream, text: () => received });
}

test("a session with an open Watch stream outlives the idle and body timeouts", async () => {
  const h2 = await session();
  let goaway = false;
  h2.on("goaway", () => (goaway = true));
  const watch = await openWatch(h2, "watched/");
  // Quiet for well past both timeouts: the open stream keeps the session from being idle.
  await Bun.sleep(idleTimeoutMs * 2 + bodyTimeoutMs);
  expect(goaway).toBe(false);
  expect(watch.stream.closed).toBe(false);
  expect((await fetch(`http://${node?.endpoint}/v1/kv/watched/a`, { method: "PUT", body: "v" })).status).toBe(200);
  await eventually("the watch delivers the Put", () => watch.text().includes(btoa("watched/a")));
  watch.stream.close();
  // Once the stream is gone the session is idle again.
  await within("GOAWAY once the watch ended", cutBoundMs, new Promise<void>((resolve) => (goaway ? resolve() : h2.once("goaway", () => resolve()))));
}, 20_000);

test("a Watch over HTTP/1.1 outlives the body and idle timeouts once its request is in", async () => {
  const request = Buffer.from(JSON.stringify({ key: btoa("watched1/"), prefix: true }));
  const envelope = Buffer.alloc(5 + request.length);
  envelope.writeUInt32BE(request.length, 1);
  request.copy(envelope, 5);
  let received = "";
  let ended = false;
  const req = http.request(
    { host: "127.0.0.1", port, method: "POST", path: "/raftkv.v1.KV/Watch", headers: { "content-type": "application/connect+json" }, agent: false },
    (res) => {
      res.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
      res.on("close", () => (ended = true));
    },
  );
  req.on("error", () => (ended = true));
  opened.push({ release: () => req.destroy() });
  req.end(envelope);
  await eventually("the watch is created", () => received.includes("created"));
  await Bun.sleep(idleTimeoutMs * 2 + bodyTimeoutMs);
  expect(ended).toBe(false);
  expect((await fetch(`http://${node?.endpoint}/v1/kv/watched1/a`, { method: "PUT", body: "v" })).status).toBe(200);
  await eventually("the watch delivers the Put", () => received.includes(btoa("watched1/a")));
}, 20_000);

test("a body declared over the request limit is refused before it is sent; one streamed past it is cut", async () => {
  const declared = await held();
  declared.write(`POST /raftkv.v1.KV/Put HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n`);
  await eventually("the refusal", () => declared.text.includes("\r\n\r\n"));
  // Connect's code for RESOURCE_EXHAUSTED is HTTP 429; the message names the limit.
  expect(declared.text).toStartWith("HTTP/1.1 429");
  expect(declared.text).toContain(String(maxRequestBytes));

  // Chunked, no length: the node stops at the limit and closes the connection, long before 16 MiB went out.
  const streamed = await held();
  streamed.write("PUT /v1/kv/streamed HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n");
  const chunk = "x".repeat(16 * 1024);
  let sent = 0;
  while (!streamed.socket.destroyed && sent < 16 * 1024 * 1024) {
    const flushed = streamed.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    sent += chunk.length;
    if (!flushed) await Promise.race([new Promise((resolve) => streamed.socket.once("drain", resolve)), streamed.closed]);
  }
  await within("closing a body streamed past the limit", cutBoundMs, streamed.closed);
  expect(streamed.text).toStartWith("HTTP/1.1 413");
  expect(sent).toBeLessThan(16 * 1024 * 1024);
}, 20_000);
