import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { type KeyValue, KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { bigKey, type LargeRangeNode, largeRange, startLargeRangeNode } from "./large-range-node.ts";

/*
 * Many concurrent Range answers of about 3 MB each on ONE HTTP/2 connection,
 * over every protocol the port speaks. Bun's node:http2 used to send some
 * streams' END_STREAM (or trailers) before their data, and never the
 * HEADERS of others: of 8 such calls, 2 completed (src/server/http2-write-pacer.ts).
 * Here Node clients (their HTTP/2 stacks decode ~3 MB per answer slowly in
 * Bun: 100 answers take grpc-js 4 s, Connect's clients up to 20 s on a busy
 * 2-core box) at 8 and 32, and grpc-js at 100; nghttp and h2load check the
 * frames of every protocol at 8, 32 and 100:
 * test/external/concurrent-large-responses.test.ts.
 */

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const readMaxBytes = 16 * 1024 * 1024;
const concurrencies = [8, 32] as const;

let server: LargeRangeNode;
beforeAll(async () => {
  server = await startLargeRangeNode();
}, 60_000);
afterAll(async () => {
  await server.stop();
});

interface Page {
  readonly keys: readonly string[];
  readonly firstBytes: readonly number[];
  readonly valueLengths: readonly number[];
}

/** Every key of the range once, in order, each value its own. */
function expectWholeRange(page: Page): void {
  expect(page.keys.length).toBe(largeRange.keys);
  for (let i = 0; i < largeRange.keys; i += 97) {
    expect(page.keys[i]).toBe(bigKey(i));
    expect(page.firstBytes[i]).toBe(i % 251);
    expect(page.valueLengths[i]).toBe(largeRange.valueBytes);
  }
}

function pageOf(kvs: readonly KeyValue[]): Page {
  return {
    keys: kvs.map((kv) => fromUtf8.decode(kv.key)),
    firstBytes: kvs.map((kv) => kv.value[0] ?? -1),
    valueLengths: kvs.map((kv) => kv.value.length),
  };
}

const rangeRequest = { prefix: utf8.encode(largeRange.prefix), limit: largeRange.keys };

describe.each(concurrencies)("%i concurrent Range calls of ~3 MB on one connection", (n) => {
  test("gRPC fast path (Connect's gRPC client)", async () => {
    const kv = createClient(KV, createGrpcTransport({ baseUrl: `http://${server.endpoint}`, readMaxBytes }));
    const pages = await Promise.all(Array.from({ length: n }, () => kv.range(rangeRequest, { timeoutMs: 60_000 })));
    for (const page of pages) expectWholeRange(pageOf(page.kvs));
  }, 90_000);

  test("Connect (JSON) over HTTP/2", async () => {
    const kv = createClient(KV, createConnectTransport({ baseUrl: `http://${server.endpoint}`, httpVersion: "2", readMaxBytes }));
    const pages = await Promise.all(Array.from({ length: n }, () => kv.range(rangeRequest, { timeoutMs: 60_000 })));
    for (const page of pages) expectWholeRange(pageOf(page.kvs));
  }, 90_000);

  test("gRPC-Web over HTTP/2", async () => {
    const kv = createClient(KV, createGrpcWebTransport({ baseUrl: `http://${server.endpoint}`, httpVersion: "2", readMaxBytes }));
    const pages = await Promise.all(Array.from({ length: n }, () => kv.range(rangeRequest, { timeoutMs: 60_000 })));
    for (const page of pages) expectWholeRange(pageOf(page.kvs));
  }, 90_000);

  test("REST over HTTP/2 (one node:http2 session)", async () => {
    const session = http2.connect(`http://${server.endpoint}`);
    try {
      const get = (): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const stream = session.request({ ":path": `/v1/kv/?prefix=${largeRange.prefix}&limit=${largeRange.keys}` });
          let status = 0;
          const chunks: Buffer[] = [];
          stream.on("response", (headers) => {
            status = Number(headers[":status"]);
          });
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => resolve({ status, body: Buffer.concat(chunks).toString("utf8") }));
          stream.on("error", reject);
          stream.end();
        });
      const answers = await Promise.all(Array.from({ length: n }, get));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        const body = JSON.parse(answer.body) as { kvs: { key: string; value: string; value_encoding: string }[] };
        expectWholeRange({
          keys: body.kvs.map((kv) => kv.key),
          firstBytes: body.kvs.map((kv) => (kv.value_encoding === "base64" ? Buffer.from(kv.value, "base64") : Buffer.from(kv.value))[0] ?? -1),
          valueLengths: body.kvs.map((kv) => (kv.value_encoding === "base64" ? Buffer.from(kv.value, "base64") : Buffer.from(kv.value)).length),
        });
      }
    } finally {
      session.close();
    }
  }, 90_000);

  test("grpc-js (one channel)", () => grpcJsRanges(n), 90_000);
});

test("100 concurrent Range calls of ~3 MB on one connection: grpc-js (one channel)", () => grpcJsRanges(100), 120_000);

/** n concurrent Range calls on one grpc-js channel (one HTTP/2 connection), each the whole ~3 MB range. */
async function grpcJsRanges(n: number): Promise<void> {
  const definition = protoLoader.loadSync(join(import.meta.dir, "../../proto/raftkv/v1/kv.proto"), { includeDirs: [join(import.meta.dir, "../../proto")] });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    raftkv: { v1: { KV: new (address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions) => KvStub } };
  };
  const client = new loaded.raftkv.v1.KV(server.endpoint, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": readMaxBytes,
  });
  try {
    const range = (): Promise<GrpcJsRange> =>
      new Promise((resolve, reject) => {
        client.Range({ prefix: utf8.encode(largeRange.prefix), limit: largeRange.keys }, (error, answer) => (error ? reject(error) : resolve(answer)));
      });
    const pages = await Promise.all(Array.from({ length: n }, range));
    for (const page of pages) {
      expectWholeRange({
        keys: page.kvs.map((kv) => fromUtf8.decode(kv.key)),
        firstBytes: page.kvs.map((kv) => kv.value[0] ?? -1),
        valueLengths: page.kvs.map((kv) => kv.value.length),
      });
    }
  } finally {
    client.close();
  }
}

interface GrpcJsRange {
  readonly kvs: { readonly key: Uint8Array; readonly value: Uint8Array }[];
}

interface KvStub extends grpc.Client {
  Range(request: { prefix: Uint8Array; limit: number }, callback: (error: grpc.ServiceError | null, answer: GrpcJsRange) => void): void;
}
