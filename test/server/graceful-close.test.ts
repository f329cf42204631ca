import { expect, test } from "bun:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { Diagnostics } from "../../src/gen/raftkv/v1/diagnostics_pb.ts";
import { createGrpcJsEchoClient } from "./grpc-js-client.ts";
import { baseUrlOf, startTestServer } from "./start-test-server.ts";

const bytes = new TextEncoder();
const text = new TextDecoder();

function slowConnectJsonCall(baseUrl: string): Promise<Response> {
  return fetch(`${baseUrl}/raftkv.v1.Diagnostics/Echo`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ payload: Buffer.from("slow").toString("base64") }),
  });
}

test("close waits for in-flight calls: gRPC fast path, Connect over h2c and over HTTP/1.1", async () => {
  const server = await startTestServer();
  const client = createGrpcJsEchoClient(server.port);
  const connectH2 = createClient(Diagnostics, createConnectTransport({ baseUrl: baseUrlOf(server), httpVersion: "2", useBinaryFormat: false }));
  try {
    // First calls make sure the HTTP/2 connections exist before closing.
    await client.echo(bytes.encode("warm"));
    await connectH2.echo({ payload: bytes.encode("warm") });
    const grpcCall = client.echo(bytes.encode("slow"));
    const connectH2Call = connectH2.echo({ payload: bytes.encode("slow") });
    const jsonCall = slowConnectJsonCall(baseUrlOf(server));
    // Give both requests time to reach the handler before the close starts.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = server.close(10_000);

    const grpcOutcome = await grpcCall;
    expect(grpcOutcome.error).toBeUndefined();
    expect(text.decode(grpcOutcome.reply?.payload ?? new Uint8Array())).toBe("slow done");
    expect(text.decode((await connectH2Call).payload)).toBe("slow done");
    const jsonResponse = await jsonCall;
    expect(jsonResponse.status).toBe(200);
    const body = (await jsonResponse.json()) as { payload: string };
    expect(Buffer.from(body.payload, "base64").toString()).toBe("slow done");
    await closed;

    const afterClose = await fetch(`${baseUrlOf(server)}/healthz`).then(
      () => "answered",
      () => "refused",
    );
    expect(afterClose).toBe("refused");
  } finally {
    client.close();
  }
});

test("a call still running when the grace period ends is cut off and close returns", async () => {
  const server = await startTestServer();
  const client = createGrpcJsEchoClient(server.port);
  try {
    await client.echo(bytes.encode("warm"));
    const stuck = client.echo(bytes.encode("sleep"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.close(50);
    const outcome = await stuck;
    expect(outcome.error?.code).toBeOneOf([GrpcStatus.UNAVAILABLE, GrpcStatus.CANCELLED, GrpcStatus.INTERNAL]);
  } finally {
    client.close();
  }
});

test("start rejects with the address when the port is taken, and on a bad limit", async () => {
  const first = await startTestServer();
  try {
    const clash = await startTestServer({ port: first.port }).then(
      () => "started",
      (error: unknown) => String(error),
    );
    expect(clash).toContain(`cannot listen on 127.0.0.1:${first.port}`);
    const badLimit = await startTestServer({ maxRequestBytes: 0 }).then(
      () => "started",
      (error: unknown) => String(error),
    );
    expect(badLimit).toContain("maxRequestBytes must be a positive integer");
  } finally {
    await first.close(1_000);
  }
});
