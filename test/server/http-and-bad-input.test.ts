import { afterAll, beforeAll, expect, test } from "bun:test";
import http2 from "node:http2";
import net from "node:net";
import type { ClientServer } from "../../src/server/client-server.ts";
import { baseUrlOf, startTestServer } from "./start-test-server.ts";

const echoPath = "/raftkv.v1.Diagnostics/Echo";
const routedPaths: string[] = [];
const loggedErrors: string[] = [];
const sleepEnds: string[] = [];

let server: ClientServer;
beforeAll(async () => {
  server = await startTestServer(
    {
      maxRequestBytes: 1024,
      logger: {
        warn() {},
        error(message) {
          loggedErrors.push(message);
        },
      },
      httpRoutes: (req, res) => {
        routedPaths.push(req.url ?? "");
        if (req.url === "/v1/kv/boom") throw new Error("route bug");
        if (req.url !== "/v1/kv/hello") return false;
        res.statusCode = 200;
        res.end("world");
        return true;
      },
    },
    sleepEnds,
  );
});
afterAll(async () => {
  await server.close(1_000);
});

async function expectStillServing(): Promise<void> {
  const response = await fetch(`${baseUrlOf(server)}/healthz`);
  expect(response.status).toBe(200);
}

function postJson(body: string, contentType = "application/json"): Promise<Response> {
  return fetch(`${baseUrlOf(server)}${echoPath}`, { method: "POST", headers: { "content-type": contentType }, body });
}

/** Sends raw bytes on a fresh TCP connection and returns whatever comes back until the server closes it. */
function rawExchange(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(bytes);
    socket.setTimeout(3_000, () => socket.destroy());
  });
}

interface RawGrpcAnswer {
  readonly headers: http2.IncomingHttpHeaders;
  readonly trailers: http2.IncomingHttpHeaders;
}

/** One gRPC call with a hand-made body, over node:http2: lets tests send what no gRPC client would. */
function rawGrpc(body: Buffer, extraHeaders: http2.OutgoingHttpHeaders = {}): Promise<RawGrpcAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrlOf(server));
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": echoPath,
      "content-type": "application/grpc",
      te: "trailers",
      ...extraHeaders,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("response", (received) => {
      headers = received;
    });
    stream.on("trailers", (received) => {
      trailers = received;
    });
    stream.on("data", () => {});
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({ headers, trailers });
    });
    stream.end(body);
  });
}

function grpcFrame(message: Buffer): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

test("plain fetch: Connect JSON round trip over HTTP/1.1", async () => {
  const response = await postJson(JSON.stringify({ payload: Buffer.from("hi there").toString("base64") }));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  const body = (await response.json()) as { payload: string };
  expect(Buffer.from(body.payload, "base64").toString()).toBe("hi there");
});

test("GET /healthz answers 200 ok when no route claims it", async () => {
  const response = await fetch(`${baseUrlOf(server)}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("ok\n");
});

test("httpRoutes answers its paths and never sees RPC paths", async () => {
  const response = await fetch(`${baseUrlOf(server)}/v1/kv/hello`);
  expect(await response.text()).toBe("world");
  routedPaths.length = 0;
  await postJson(JSON.stringify({}));
  expect(routedPaths).toEqual([]);
});

test("a route that throws costs its request a 500 and is logged; the server keeps serving", async () => {
  const response = await fetch(`${baseUrlOf(server)}/v1/kv/boom`);
  expect(response.status).toBe(500);
  expect(await response.text()).not.toContain("route bug");
  expect(loggedErrors).toContain("http route failed");
  await expectStillServing();
});

test("malformed JSON is INVALID_ARGUMENT and names the message", async () => {
  const response = await postJson("{ not json");
  expect(response.status).toBe(400);
  const body = (await response.json()) as { code: string; message: string };
  expect(body.code).toBe("invalid_argument");
  expect(body.message).toContain("raftkv.v1.EchoRequest");
  await expectStillServing();
});

test("JSON with a wrong field type is INVALID_ARGUMENT", async () => {
  const response = await postJson(JSON.stringify({ payload: 42 }));
  expect(response.status).toBe(400);
  const body = (await response.json()) as { code: string };
  expect(body.code).toBe("invalid_argument");
});

test("a wrong content type on an RPC path is 415", async () => {
  const response = await postJson("payload", "text/plain");
  expect(response.status).toBe(415);
  await expectStillServing();
});

test("a Connect request over maxRequestBytes is RESOURCE_EXHAUSTED", async () => {
  const response = await postJson(JSON.stringify({ payload: Buffer.alloc(2048).toString("base64") }));
  const body = (await response.json()) as { code: string; message: string };
  expect(body.code).toBe("resource_exhausted");
  expect(body.message).toContain("1024");
});

test("a plain HTTP body over maxRequestBytes is 413 naming the limit", async () => {
  const response = await fetch(`${baseUrlOf(server)}/v1/kv/big`, { method: "PUT", body: Buffer.alloc(4096) });
  expect(response.status).toBe(413);
  expect(await response.text()).toContain("1024 bytes (maxRequestBytes)");
});

test("an unknown path is 404", async () => {
  const response = await fetch(`${baseUrlOf(server)}/no/such/thing`);
  expect(response.status).toBe(404);
});

test("HTTP/1.1 garbage gets 400 and the server keeps serving", async () => {
  const answer = await rawExchange(Buffer.from("THIS IS NOT HTTP\r\n\x00\x01\x02\r\n\r\n", "latin1"));
  expect(answer.startsWith("HTTP/1.1 400")).toBe(true);
  await expectStillServing();
});

test("the HTTP/2 preface followed by garbage does not hurt the server", async () => {
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
  await rawExchange(Buffer.concat([preface, Buffer.from("\xff\xff\xff\xff garbage frames ".repeat(20), "latin1")]));
  await expectStillServing();
});

test("fast path: undecodable protobuf is INVALID_ARGUMENT naming the message type", async () => {
  // Field 1 declared length-delimited with a length running past the end.
  const answer = await rawGrpc(grpcFrame(Buffer.from([0x0a, 0x7f, 0x01])));
  expect(answer.headers["grpc-status"]).toBe("3");
  expect(decodeURIComponent(String(answer.headers["grpc-message"]))).toContain("raftkv.v1.EchoRequest");
});

test("fast path: a truncated frame is INVALID_ARGUMENT", async () => {
  const frame = grpcFrame(Buffer.from([0x0a, 0x02, 0x01, 0x02]));
  const answer = await rawGrpc(frame.subarray(0, frame.length - 2));
  expect(answer.headers["grpc-status"]).toBe("3");
});

test("fast path: an invalid grpc-timeout is INVALID_ARGUMENT", async () => {
  const answer = await rawGrpc(grpcFrame(Buffer.alloc(0)), { "grpc-timeout": "soon" });
  expect(answer.headers["grpc-status"]).toBe("3");
});

test("fast path: success carries the message and grpc-status 0 in trailers", async () => {
  const answer = await rawGrpc(grpcFrame(Buffer.from([0x0a, 0x01, 0x2a])));
  expect(Number(answer.headers[":status"])).toBe(200);
  expect(answer.headers["content-type"]).toBe("application/grpc");
  expect(answer.trailers["grpc-status"]).toBe("0");
});

test("fast path: the server enforces grpc-timeout itself and aborts the handler", async () => {
  sleepEnds.length = 0;
  // No client-side deadline here: only the server's timer can end this call.
  const answer = await rawGrpc(grpcFrame(Buffer.from([0x0a, 0x05, ...Buffer.from("sleep")])), { "grpc-timeout": "100m" });
  expect(answer.headers["grpc-status"]).toBe("4");
  expect(sleepEnds).toEqual(["aborted: 4"]);
});
