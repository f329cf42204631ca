import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect as http2Connect } from "node:http2";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

let node: RaftkvNode;
let dir: string;
let base: string;
let grpc: Client<typeof KV>;
let connectJson: Client<typeof KV>;

/** What must not change when a request is refused. */
function stateFingerprint(): string {
  const fsm = node.engine.stateMachine;
  return `${fsm.appliedIndex()}:${fsm.hash()}`;
}

async function expectCode(call: Promise<unknown>, code: Code, ...words: string[]): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  const connectError = error as ConnectError;
  expect(Code[connectError.code]).toBe(Code[code]);
  for (const word of words) expect(connectError.rawMessage).toContain(word);
}

beforeAll(async () => {
  dir = tempDir("badinput");
  const started = await startTestNode(dir);
  node = started.node;
  base = `http://${started.endpoint}`;
  grpc = createClient(KV, createGrpcTransport({ baseUrl: base }));
  connectJson = createClient(KV, createConnectTransport({ baseUrl: base, httpVersion: "1.1", useBinaryFormat: false }));
  await grpc.put({ key: text("existing"), value: text("kept") });
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

describe("refused requests change nothing and say why", () => {
  let before = "";
  const check = async (name: string, run: () => Promise<void>): Promise<void> => {
    before = stateFingerprint();
    await run();
    expect(stateFingerprint()).toBe(before);
    // The server still serves after each refusal.
    expect((await grpc.get({ key: text("existing") })).found).toBe(true);
    void name;
  };

  test("empty key on Put, Get and Delete", async () => {
    await check("empty", async () => {
      await expectCode(grpc.put({ key: new Uint8Array(0), value: text("v") }), Code.InvalidArgument, "key", "empty");
      await expectCode(grpc.get({ key: new Uint8Array(0) }), Code.InvalidArgument, "key");
      await expectCode(connectJson.delete({ key: new Uint8Array(0) }), Code.InvalidArgument, "key");
    });
  });

  test("key over 4 KiB", async () => {
    await check("long key", async () => {
      await expectCode(grpc.put({ key: new Uint8Array(4097).fill(97), value: text("v") }), Code.InvalidArgument, "key", "4097", "4096");
    });
  });

  test("value over 1 MiB", async () => {
    await check("big value", async () => {
      await expectCode(grpc.put({ key: text("big"), value: new Uint8Array(1024 * 1024 + 1) }), Code.InvalidArgument, "value", "1048576");
    });
  });

  test("request over 2 MiB, over gRPC, Connect and REST", async () => {
    await check("huge request", async () => {
      const huge = new Uint8Array(2 * 1024 * 1024 + 100);
      await expectCode(grpc.put({ key: text("huge"), value: huge }), Code.ResourceExhausted);
      await expectCode(connectJson.put({ key: text("huge"), value: huge }), Code.ResourceExhausted);
      const rest = await fetch(`${base}/v1/kv/huge`, { method: "PUT", body: huge });
      expect(rest.status).toBe(413);
      await rest.text();
    });
  });

  test("Range limit over the maximum page size", async () => {
    await check("limit", async () => {
      await expectCode(grpc.range({ prefix: text("a"), limit: 10_001 }), Code.InvalidArgument, "limit", "10000");
    });
  });

  test("malformed protobuf and JSON bodies, wrong content type, unknown method", async () => {
    await check("malformed", async () => {
      const badProto = await fetch(`${base}/raftkv.v1.KV/Put`, {
        method: "POST",
        headers: { "content-type": "application/proto" },
        body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      });
      // Connect (like grpc-go) answers an unparseable message with "internal"
      // and a message saying the parse failed; nothing reaches the service.
      expect(badProto.status).toBe(500);
      const badProtoBody = (await badProto.json()) as { code: string; message: string };
      expect(badProtoBody.code).toBe("internal");
      expect(badProtoBody.message).toContain("parse binary");

      const badJson = await fetch(`${base}/raftkv.v1.KV/Put`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"key": "not base64!!", ',
      });
      expect(badJson.status).toBeGreaterThanOrEqual(400);
      expect(((await badJson.json()) as { message: string }).message).toContain("cannot decode message raftkv.v1.PutRequest from JSON");

      const wrongType = await fetch(`${base}/raftkv.v1.KV/Put`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "key=value",
      });
      expect(wrongType.status).toBe(415);
      await wrongType.text();

      const unknown = await fetch(`${base}/raftkv.v1.KV/Explode`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(unknown.status).toBe(404);
      await unknown.text();
    });
  });

  test("garbage gRPC frame over h2c gets a grpc-status, not a crash", async () => {
    await check("grpc garbage", async () => {
      const session = http2Connect(base);
      try {
        const status = await new Promise<string>((resolve, reject) => {
          const stream = session.request({
            ":method": "POST",
            ":path": "/raftkv.v1.KV/Put",
            "content-type": "application/grpc",
            te: "trailers",
          });
          let grpcStatus = "";
          stream.on("response", (headers) => {
            if (headers["grpc-status"] !== undefined) grpcStatus = String(headers["grpc-status"]);
          });
          stream.on("trailers", (trailers) => {
            if (trailers["grpc-status"] !== undefined) grpcStatus = String(trailers["grpc-status"]);
          });
          stream.on("data", () => {});
          stream.on("end", () => resolve(grpcStatus));
          stream.on("error", reject);
          // A frame that claims 6 bytes of protobuf holding an invalid varint.
          stream.end(Buffer.from([0, 0, 0, 0, 6, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
        });
        expect(status).not.toBe("");
        expect(status).not.toBe("0");
      } finally {
        session.close();
      }
    });
  });
});
