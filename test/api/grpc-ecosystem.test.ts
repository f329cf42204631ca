import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ServerReflection } from "../../src/gen/grpc/reflection/v1/reflection_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

let node: RaftkvNode;
let dir: string;
let endpoint: string;

beforeAll(async () => {
  dir = tempDir("ecosystem");
  const started = await startTestNode(dir);
  node = started.node;
  endpoint = started.endpoint;
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

function loadService<T>(protoPath: string, path: string[]): new (address: string, credentials: grpc.ChannelCredentials) => T {
  const definition = protoLoader.loadSync(join(import.meta.dir, "../../proto", protoPath), { defaults: true, enums: String, keepCase: true });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of path) node = (node as Record<string, unknown>)[part];
  return node as new (
    address: string,
    credentials: grpc.ChannelCredentials,
  ) => T;
}

interface HealthStub extends grpc.Client {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response: { status: string }) => void): void;
}

test("grpc.health.v1 Check answers SERVING for the node and its services, NOT_FOUND for others (grpc-js)", async () => {
  const Health = loadService<HealthStub>("grpc/health/v1/health.proto", ["grpc", "health", "v1", "Health"]);
  const client = new Health(endpoint, grpc.credentials.createInsecure());
  const check = (service: string) => new Promise<{ status: string } | grpc.ServiceError>((resolve) => client.Check({ service }, (e, r) => resolve(e ?? r)));
  expect(await check("")).toEqual({ status: "SERVING" });
  expect(await check("raftkv.v1.KV")).toEqual({ status: "SERVING" });
  const unknown = (await check("no.such.Service")) as grpc.ServiceError;
  expect(unknown.code).toBe(grpc.status.NOT_FOUND);
  client.close();
});

interface ReflectionStub extends grpc.Client {
  ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;
}

test("reflection v1alpha lists services and returns descriptors (grpc-js, as grpcurl uses it)", async () => {
  const Reflection = loadService<ReflectionStub>("grpc/reflection/v1alpha/reflection.proto", ["grpc", "reflection", "v1alpha", "ServerReflection"]);
  const client = new Reflection(endpoint, grpc.credentials.createInsecure());
  const stream = client.ServerReflectionInfo();
  const responses: Record<string, unknown>[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on("data", (r: Record<string, unknown>) => responses.push(r));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  stream.write({ list_services: "" });
  stream.write({ file_containing_symbol: "raftkv.v1.KV" });
  stream.write({ file_containing_symbol: "no.such.Symbol" });
  stream.end();
  await done;
  client.close();
  expect(responses.length).toBe(3);
  const list = responses[0]?.list_services_response as { service: Array<{ name: string }> };
  expect(list.service.map((s) => s.name)).toContain("raftkv.v1.KV");
  expect(list.service.map((s) => s.name)).toContain("grpc.health.v1.Health");
  const files = (responses[1]?.file_descriptor_response as { file_descriptor_proto: Uint8Array[] } | undefined)?.file_descriptor_proto ?? [];
  const kvFile = fromBinary(FileDescriptorProtoSchema, new Uint8Array(files[0] ?? []));
  expect(kvFile.package).toBe("raftkv.v1");
  expect(kvFile.service.find((s) => s.name === "KV")?.method.map((m) => m.name)).toEqual([
    "Put",
    "Get",
    "Delete",
    "Range",
    "Txn",
    "Watch",
    "RequestProgress",
    "Compact",
  ]);
  const error = responses[2]?.error_response as { error_code: number; error_message: string };
  expect(error.error_code).toBe(5);
  expect(error.error_message).toContain("no.such.Symbol");
});

test("reflection v1 resolves a method symbol to its file (Connect gRPC client)", async () => {
  const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: `http://${endpoint}` }));
  async function* requests() {
    yield { messageRequest: { case: "fileContainingSymbol" as const, value: "raftkv.v1.KV.Put" } };
    yield { messageRequest: { case: "fileByFilename" as const, value: "raftkv/v1/kv.proto" } };
  }
  const answers = [];
  for await (const response of client.serverReflectionInfo(requests())) answers.push(response);
  expect(answers.length).toBe(2);
  for (const response of answers) {
    expect(response.messageResponse.case).toBe("fileDescriptorResponse");
    if (response.messageResponse.case !== "fileDescriptorResponse") continue;
    const file = fromBinary(FileDescriptorProtoSchema, response.messageResponse.value.fileDescriptorProto[0] ?? new Uint8Array());
    expect(file.name).toBe("raftkv/v1/kv.proto");
    expect(file.messageType.map((m) => m.name)).toContain("PutRequest");
  }
});
