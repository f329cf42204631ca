import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import type { ClientServer } from "../../src/server/client-server.ts";
import { startTestServer } from "./start-test-server.ts";

let server: ClientServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close(1_000);
});

/**
 * Writes `parts` one by one with a pause between them (so each arrives in its
 * own TCP segment) and collects what the server sends until `enough` says so.
 */
function exchangeInParts(parts: readonly Buffer[], enough: (received: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1");
    socket.setNoDelay(true);
    let received = Buffer.alloc(0);
    const finish = (): void => {
      socket.destroy();
      resolve(received);
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (enough(received)) finish();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.setTimeout(3_000, finish);
    void (async () => {
      for (const part of parts) {
        socket.write(part);
        await new Promise((resume) => setTimeout(resume, 30));
      }
    })();
  });
}

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
// An empty SETTINGS frame: length 0, type 4, flags 0, stream 0.
const emptySettings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

test("an HTTP/2 preface split across segments is recognised and answered with SETTINGS", async () => {
  const received = await exchangeInParts(
    [preface.subarray(0, 3), preface.subarray(3, 17), Buffer.concat([preface.subarray(17), emptySettings])],
    (bytes) => bytes.length >= 9,
  );
  // The server's first frame is its own SETTINGS (type 4 at offset 3).
  expect(received[3]).toBe(4);
});

test("an HTTP/1.1 request whose first byte matches the preface still goes to HTTP/1.1", async () => {
  const request = Buffer.from("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n", "latin1");
  // "P" of "PRI" could start a preface; "POST"/"PUT" diverge only later, as does this GET.
  const post = Buffer.from("POST /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n", "latin1");
  const answer = await exchangeInParts([post.subarray(0, 1), post.subarray(1)], (bytes) => bytes.toString("latin1").includes("\r\n\r\n"));
  expect(answer.toString("latin1")).toStartWith("HTTP/1.1 404");
  const get = await exchangeInParts([request], (bytes) => bytes.toString("latin1").includes("ok\n"));
  expect(get.toString("latin1")).toStartWith("HTTP/1.1 200");
});
