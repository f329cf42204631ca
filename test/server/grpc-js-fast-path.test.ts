import { afterAll, beforeAll, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ClientServer } from "../../src/server/client-server.ts";
import { eventually } from "../support/eventually.ts";
import { awkwardErrorMessage, internalSecret } from "./echo-test-service.ts";
import { createGrpcJsEchoClient, type GrpcJsEchoClient } from "./grpc-js-client.ts";
import { startTestServer } from "./start-test-server.ts";

const bytes = new TextEncoder();
const text = new TextDecoder();

let server: ClientServer;
let client: GrpcJsEchoClient;
const sleepEnds: string[] = [];
beforeAll(async () => {
  server = await startTestServer({}, sleepEnds);
  client = createGrpcJsEchoClient(server.port);
});
afterAll(async () => {
  client.close();
  await server.close(1_000);
});

test("grpc-js echoes through the fast path", async () => {
  const payload = new Uint8Array([9, 8, 7, 0, 255]);
  const outcome = await client.echo(payload);
  expect(outcome.error).toBeUndefined();
  expect(new Uint8Array(outcome.reply?.payload ?? [])).toEqual(payload);
  expect(outcome.status?.code).toBe(GrpcStatus.OK);
});

test("request metadata reaches the handler; its response headers and trailers reach grpc-js", async () => {
  const outcome = await client.echo(bytes.encode("metadata"), { metadata: { "x-test-meta": "from grpc-js" } });
  const seen = JSON.parse(text.decode(outcome.reply?.payload ?? new Uint8Array()));
  expect(seen.meta).toBe("from grpc-js");
  expect(seen.protocol).toBe("grpc");
  expect(seen.servedBy).toBe("grpc-fast-path");
  expect(outcome.headers?.get("x-test-header")).toEqual(["from-handler"]);
  expect(outcome.status?.metadata.get("x-test-trailer")).toEqual(["trailer-value"]);
});

test("grpc-timeout reaches the handler as its remaining time", async () => {
  const outcome = await client.echo(bytes.encode("metadata"), { deadlineMs: 60_000 });
  const seen = JSON.parse(text.decode(outcome.reply?.payload ?? new Uint8Array()));
  expect(seen.timeoutMs).toBeGreaterThan(0);
  expect(seen.timeoutMs).toBeLessThanOrEqual(60_000);
});

/** The server learns of a client's deadline or cancel a moment after the client gives up. */
async function untilSleepEnded(): Promise<void> {
  await eventually("the sleeping handler to end", () => sleepEnds.length > 0, 2000, 10);
}

test("a handler slower than grpc-timeout ends in DEADLINE_EXCEEDED and its signal fires", async () => {
  sleepEnds.length = 0;
  const outcome = await client.echo(bytes.encode("sleep"), { deadlineMs: 150 });
  expect(outcome.error?.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
  await untilSleepEnded();
  // grpc-js also enforces the deadline itself, so its RST_STREAM (CANCELED)
  // and the server's own timer race; either way the handler was stopped.
  expect(sleepEnds).toHaveLength(1);
  expect([`aborted: ${Code.DeadlineExceeded}`, `aborted: ${Code.Canceled}`]).toContain(sleepEnds[0] ?? "");
});

test("a call cancelled by the client aborts the handler's signal", async () => {
  sleepEnds.length = 0;
  const outcome = await client.echoThenCancel(bytes.encode("sleep"), 100);
  expect(outcome.error?.code).toBe(GrpcStatus.CANCELLED);
  await untilSleepEnded();
  expect(sleepEnds).toEqual([`aborted: ${Code.Canceled}`]);
});

test("a ConnectError arrives as a trailers-only status with its message intact", async () => {
  const outcome = await client.echo(bytes.encode("fail"));
  expect(outcome.error?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(outcome.error?.details).toBe(awkwardErrorMessage);
});

test("a plain Error is INTERNAL and does not leak its message", async () => {
  const outcome = await client.echo(bytes.encode("crash"));
  expect(outcome.error?.code).toBe(GrpcStatus.INTERNAL);
  expect(outcome.error?.details).not.toContain(internalSecret);
});

test("a message over maxRequestBytes is RESOURCE_EXHAUSTED naming the limit", async () => {
  const outcome = await client.echo(new Uint8Array(64 * 1024 + 1));
  expect(outcome.error?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  expect(outcome.error?.details).toContain("65536");
  // The connection stays usable after the refused call.
  const after = await client.echo(bytes.encode("still here"));
  expect(text.decode(after.reply?.payload ?? new Uint8Array())).toBe("still here");
});

test("a gzip-compressed request falls back to Connect and works", async () => {
  const gzipClient = createGrpcJsEchoClient(server.port, { "grpc.default_compression_algorithm": 2 });
  try {
    const outcome = await gzipClient.echo(bytes.encode("metadata"), { metadata: { "x-test-meta": "zipped" } });
    expect(outcome.error).toBeUndefined();
    const seen = JSON.parse(text.decode(outcome.reply?.payload ?? new Uint8Array()));
    expect(seen.meta).toBe("zipped");
    expect(seen.servedBy).toBe("connect");
  } finally {
    gzipClient.close();
  }
});

test("an unknown method is UNIMPLEMENTED", async () => {
  const unknownClient = createGrpcJsEchoClient(server.port);
  // The same message shape sent to a path no service registers.
  const outcome = await unknownClient.echoAt("/raftkv.v1.Diagnostics/NoSuchMethod", bytes.encode("x"));
  unknownClient.close();
  expect(outcome.error?.code).toBe(GrpcStatus.UNIMPLEMENTED);
});
