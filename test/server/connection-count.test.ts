import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import tls from "node:tls";
import { ClientConnectionCounts, type ClientServer } from "../../src/server/client-server.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { TestPki } from "../support/test-pki.ts";
import { HeldSocket } from "./client-connection-client.ts";
import { startTestServer } from "./start-test-server.ts";

// The open-connection count is what --max-client-connections is checked against: a connection that closes
// without giving its slot back would, one by one, lock every client out. Each way a connection can end,
// on both protocols and with TLS, must bring the count back.

let dir = "";
let plain: ClientServer | undefined;
let secured: ClientServer | undefined;
let ca = "";
const plainCounts = new ClientConnectionCounts();
const tlsCounts = new ClientConnectionCounts();

beforeAll(async () => {
  dir = tempDir("conn-count");
  const pki = TestPki.create(join(dir, "pki"));
  const issued = pki.issue("server", { sans: ["IP:127.0.0.1"] });
  ca = pki.caCert;
  const secureContext = tls.createSecureContext({ cert: readFileSync(issued.certFile), key: readFileSync(issued.keyFile) });
  plain = await startTestServer({ connectionCounts: plainCounts, connectionLimits: { headerTimeoutMs: 500 } });
  secured = await startTestServer({
    connectionCounts: tlsCounts,
    connectionLimits: { headerTimeoutMs: 500 },
    tls: { nextConnection: () => ({ secureContext, requestCert: false, rejectUnauthorized: false }) },
  });
});

afterAll(async () => {
  await plain?.close(0);
  await secured?.close(0);
  removeDir(dir);
});

async function expectBackToZero(counts: ClientConnectionCounts): Promise<void> {
  await eventually(
    () => `open connections back to 0 (still ${counts.open})`,
    () => counts.open === 0,
    5000,
  );
}

test("cleartext: HTTP/1.1, HTTP/2, a client that leaves, and one cut for silence all give their slot back", async () => {
  const port = plain?.port ?? 0;
  for (let i = 0; i < 5; i++) expect((await fetch(`http://127.0.0.1:${port}/healthz`, { keepalive: false })).status).toBe(200);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
  expect(plainCounts.open).toBeGreaterThanOrEqual(1);
  session.close();
  const leaving = await HeldSocket.open(port);
  leaving.release();
  const silent = await HeldSocket.open(port);
  await silent.closed;
  await expectBackToZero(plainCounts);
});

test("TLS: connections over HTTP/1.1 and HTTP/2 by ALPN, and a failed handshake, give their slot back", async () => {
  const port = secured?.port ?? 0;
  for (let i = 0; i < 5; i++) expect((await fetch(`https://127.0.0.1:${port}/healthz`, { tls: { ca }, keepalive: false })).status).toBe(200);
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca });
  await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
  expect(tlsCounts.open).toBeGreaterThanOrEqual(1);
  session.close();
  // Plaintext on the TLS port: the handshake fails.
  const plaintext = await HeldSocket.open(port);
  plaintext.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
  await plaintext.closed;
  const silent = await HeldSocket.open(port);
  await silent.closed;
  await expectBackToZero(tlsCounts);
});
