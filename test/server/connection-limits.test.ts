import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import type http2 from "node:http2";
import { ServeProcess } from "../cluster/serve-process.ts";
import { sampleValue, scrape } from "../ops/scrape.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { HeldSocket, h2Put, openSession, within } from "./client-connection-client.ts";

// A node (a separate process, so the test's own sockets do not share its event loop) with room for 300
// connections: the test holds most of them idle, floods it with thousands more, and checks that the node
// keeps answering on the connections it accepted.
const maxConnections = 300;
const heldRaw = 250;
const heldSessions = 40;
const flood = 2000;
const answerBoundMs = 5_000;
const maxPeerConnections = 4;

let dir = "";
let node: ServeProcess | undefined;
let port = 0;
const held: HeldSocket[] = [];
const sessions: http2.ClientHttp2Session[] = [];
let existing: http2.ClientHttp2Session | undefined;
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

function healthz(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/healthz", agent: keepAlive }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
}

beforeAll(async () => {
  dir = tempDir("conn-limit");
  node = new ServeProcess({
    id: "n1",
    dataDir: dir,
    // Long deadlines: this test is about the count; the idle connections must stay for its length.
    flags: [
      "--raft-listen",
      "127.0.0.1:0",
      "--max-client-connections",
      String(maxConnections),
      "--client-header-timeout",
      "2m",
      "--client-idle-timeout",
      "2m",
      "--max-peer-connections",
      String(maxPeerConnections),
    ],
  });
  await node.start();
  port = Number(node.endpoint.split(":")[1]);
  await eventually("the node accepts writes", async () => (await fetch(`http://${node?.endpoint}/v1/kv/ready`, { method: "PUT", body: "1" })).status === 200);
});

afterAll(async () => {
  for (const socket of held) socket.release();
  for (const session of sessions) session.destroy();
  existing?.destroy();
  keepAlive.destroy();
  await node?.terminate();
  removeDir(dir);
});

test("connections past --max-client-connections are closed at accept while the held ones keep being answered", async () => {
  existing = await openSession(port);
  expect((await h2Put(existing, "limit/before", "1")).status).toBe(200);
  expect(await healthz()).toBe(200);

  for (let i = 0; i < heldRaw; i++) held.push(await HeldSocket.open(port));
  for (let i = 0; i < heldSessions; i++) sessions.push(await openSession(port));
  expect(held.every((socket) => !socket.closedByServer)).toBe(true);

  const flooding: HeldSocket[] = [];
  for (let batch = 0; batch < flood; batch += 200) {
    flooding.push(...(await Promise.all(Array.from({ length: 200 }, () => HeldSocket.open(port)))));
  }
  // Each one past the limit is reset at accept; at most the few free slots were taken by the flood.
  const freeSlots = maxConnections - heldRaw - heldSessions - 2;
  await eventually(
    () => `the flood closed (${flooding.filter((s) => s.closedByServer).length} of ${flood})`,
    () => flooding.filter((s) => s.closedByServer).length >= flood - freeSlots,
    30_000,
  );
  expect(held.filter((socket) => socket.closedByServer)).toEqual([]);

  // With every slot taken, the connections the node accepted are answered as before.
  expect((await within("a Put on an HTTP/2 session accepted before the flood", answerBoundMs, h2Put(existing, "limit/during", "2"))).status).toBe(200);
  expect(await within("GET /healthz on a keep-alive connection", answerBoundMs, healthz())).toBe(200);
  const idleSession = sessions[0];
  if (idleSession === undefined) throw new Error("no idle session was opened");
  expect((await within("a Put on one of the idle sessions", answerBoundMs, h2Put(idleSession, "limit/idle-session", "3"))).status).toBe(200);

  // Once connections go, new ones are served again.
  for (const socket of flooding) socket.release();
  for (const socket of held.splice(0, 100)) socket.release();
  const status = await eventually("a Put on a new connection", async () => {
    const answer = await fetch(`http://${node?.endpoint}/v1/kv/limit/after`, { method: "PUT", body: "4" });
    return answer.status === 200 ? answer.status : undefined;
  });
  expect(status).toBe(200);

  const metrics = await scrape(node?.endpoint ?? "");
  expect(sampleValue(metrics, "raftkv_client_connections_rejected_total", { reason: "connection-limit" })).toBeGreaterThanOrEqual(flood - freeSlots);
  const open = sampleValue(metrics, "raftkv_client_connections") ?? 0;
  expect(open).toBeGreaterThan(heldRaw - 100 + heldSessions);
  expect(open).toBeLessThanOrEqual(maxConnections);
  // Refusals are logged, but a handful of lines per 10 s, not one per connection.
  const refusalLines = node?.logLines().filter((line) => line.msg === "refused a client connection: too many open") ?? [];
  expect(refusalLines.length).toBeGreaterThan(0);
  expect(refusalLines.length).toBeLessThan(50);
}, 90_000);

test("connections to the Raft port past --max-peer-connections are closed at once and counted", async () => {
  const serving = node?.logLines().find((line) => line.msg === "serving");
  const raftPort = Number(String(serving?.raftListen ?? "").split(":")[1]);
  expect(raftPort).toBeGreaterThan(0);
  // A lone node dials nobody and nobody dials it: every inbound connection here is the test's, silent until the hello timeout.
  const peers: HeldSocket[] = [];
  try {
    for (let i = 0; i < maxPeerConnections; i++) peers.push(await HeldSocket.open(raftPort));
    const extra: HeldSocket[] = [];
    for (let i = 0; i < 10; i++) extra.push(await HeldSocket.open(raftPort));
    peers.push(...extra);
    await within("closing the connections past the limit", answerBoundMs, Promise.all(extra.map((socket) => socket.closed)));
    expect(extra.every((socket) => socket.closedByServer)).toBe(true);
    const metrics = await scrape(node?.endpoint ?? "");
    expect(sampleValue(metrics, "raftkv_peer_connections_rejected_total", { reason: "connection-limit" })).toBeGreaterThanOrEqual(10);
  } finally {
    for (const socket of peers) socket.release();
  }
});
