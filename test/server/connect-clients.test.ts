import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Diagnostics } from "../../src/gen/raftkv/v1/diagnostics_pb.ts";
import type { ClientServer, ServingPath } from "../../src/server/client-server.ts";
import { awkwardErrorMessage, internalSecret } from "./echo-test-service.ts";
import { baseUrlOf, startTestServer } from "./start-test-server.ts";

const bytes = new TextEncoder();
const text = new TextDecoder();

let server: ClientServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close(1_000);
});

type TransportFactory = (baseUrl: string) => Transport;
// Uncompressed unary gRPC on h2c takes the fast path; everything else Connect.
const transports: ReadonlyArray<readonly [string, TransportFactory, ServingPath]> = [
  ["gRPC over h2c", (baseUrl) => createGrpcTransport({ baseUrl }), "grpc-fast-path"],
  ["gRPC-Web over HTTP/1.1", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }), "connect"],
  ["gRPC-Web over h2c", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2" }), "connect"],
  ["Connect JSON over HTTP/1.1", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }), "connect"],
  ["Connect binary over HTTP/1.1", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }), "connect"],
  ["Connect JSON over h2c", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false }), "connect"],
  ["Connect binary over h2c", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }), "connect"],
];

describe.each(transports)("%s", (_name, makeTransport, expectedPath) => {
  const client = () => createClient(Diagnostics, makeTransport(baseUrlOf(server)));

  test("echoes the payload", async () => {
    const payload = new Uint8Array([0, 1, 2, 250, 255]);
    const response = await client().echo({ payload });
    expect(response.payload).toEqual(payload);
  });

  test("a ConnectError keeps its code and awkward message", async () => {
    const error = await client()
      .echo({ payload: bytes.encode("fail") })
      .then(
        () => undefined,
        (reason: unknown) => ConnectError.from(reason),
      );
    expect(error?.code).toBe(Code.FailedPrecondition);
    expect(error?.rawMessage).toBe(awkwardErrorMessage);
  });

  test("a plain Error becomes INTERNAL without its message", async () => {
    const error = await client()
      .echo({ payload: bytes.encode("crash") })
      .then(
        () => undefined,
        (reason: unknown) => ConnectError.from(reason),
      );
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).not.toContain(internalSecret);
  });

  test("request metadata reaches the handler, headers and trailers come back", async () => {
    const headers: Headers[] = [];
    const trailers: Headers[] = [];
    const response = await client().echo(
      { payload: bytes.encode("metadata") },
      {
        headers: { "x-test-meta": "meta-value" },
        onHeader: (h) => headers.push(h),
        onTrailer: (t) => trailers.push(t),
      },
    );
    const seen = JSON.parse(text.decode(response.payload));
    expect(seen.meta).toBe("meta-value");
    expect(seen.servedBy).toBe(expectedPath);
    expect(headers[0]?.get("x-test-header")).toBe("from-handler");
    expect(trailers[0]?.get("x-test-trailer")).toBe("trailer-value");
  });

  test("a deadline shorter than the handler ends in DEADLINE_EXCEEDED", async () => {
    const error = await client()
      .echo({ payload: bytes.encode("sleep") }, { timeoutMs: 100 })
      .then(
        () => undefined,
        (reason: unknown) => ConnectError.from(reason),
      );
    expect(error?.code).toBe(Code.DeadlineExceeded);
  });

  test("a message over maxRequestBytes is RESOURCE_EXHAUSTED naming the limit", async () => {
    const error = await client()
      .echo({ payload: new Uint8Array(64 * 1024 + 1) })
      .then(
        () => undefined,
        (reason: unknown) => ConnectError.from(reason),
      );
    expect(error?.code).toBe(Code.ResourceExhausted);
  });
});

test("a gzip-compressed gRPC request is served (through Connect)", async () => {
  const transport = createGrpcTransport({
    baseUrl: baseUrlOf(server),
    sendCompression: compressionGzip,
    compressMinBytes: 0,
  });
  const payload = bytes.encode("compressed ".repeat(100));
  const response = await createClient(Diagnostics, transport).echo({ payload });
  expect(response.payload).toEqual(payload);
});
