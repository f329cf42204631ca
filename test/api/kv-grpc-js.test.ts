import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

// An independent gRPC implementation: grpc-js with dynamically loaded protos,
// sharing no code with the server (no generated code, no Connect).
interface KvStub extends grpc.Client {
  Put(request: object, callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void): void;
  Get(request: object, callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void): void;
  Range(request: object, callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void): void;
  Delete(request: object, callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void): void;
}

let node: RaftkvNode;
let dir: string;
let stub: KvStub;

function call(method: "Put" | "Get" | "Range" | "Delete", request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    stub[method](request, (error, response) => (error === null ? resolve(response) : reject(error)));
  });
}

beforeAll(async () => {
  dir = tempDir("grpcjs");
  const started = await startTestNode(dir);
  node = started.node;
  const definition = protoLoader.loadSync(join(import.meta.dir, "../../proto/raftkv/v1/kv.proto"), {
    longs: String,
    defaults: true,
    enums: String,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    raftkv: { v1: { KV: new (address: string, credentials: grpc.ChannelCredentials) => KvStub } };
  };
  stub = new loaded.raftkv.v1.KV(started.endpoint, grpc.credentials.createInsecure());
});

afterAll(async () => {
  stub.close();
  await node.close();
  removeDir(dir);
});

test("grpc-js: put, get, range, delete", async () => {
  const put = await call("Put", { key: Buffer.from("gj/one"), value: Buffer.from("1") });
  expect(Number(put.index)).toBeGreaterThan(0);
  const header = put.header as Record<string, unknown>;
  expect(header.leaderId).toBe("test1");

  const got = await call("Get", { key: Buffer.from("gj/one") });
  expect(got.found).toBe(true);
  const kv = got.kv as Record<string, unknown>;
  expect(Buffer.from(kv.value as Uint8Array).toString()).toBe("1");
  expect(kv.version).toBe("1");

  const missing = await call("Get", { key: Buffer.from("gj/none") });
  expect(missing.found).toBe(false);

  await call("Put", { key: Buffer.from("gj/two"), value: Buffer.from("2") });
  const range = await call("Range", { prefix: Buffer.from("gj/") });
  const keys = (range.kvs as Array<Record<string, unknown>>).map((k) => Buffer.from(k.key as Uint8Array).toString());
  expect(keys).toEqual(["gj/one", "gj/two"]);

  const deleted = await call("Delete", { key: Buffer.from("gj/one") });
  expect(deleted.deleted).toBe("1");
});

test("grpc-js: validation errors carry the code and a message naming the field and limit", async () => {
  const error = (await call("Put", { key: Buffer.alloc(5000, 97), value: Buffer.from("x") }).catch((e: unknown) => e)) as grpc.ServiceError;
  expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(error.details).toContain("key");
  expect(error.details).toContain("4096");
});
