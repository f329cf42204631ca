import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Logger } from "../../src/log/logger.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { parseAllowedHosts } from "../../src/server/host-policy.ts";
import { removeDir, tempDir, testConfig } from "../support/test-node.ts";

// DNS rebinding and CSRF against a node on the user's machine, the way a browser would send them:
// node:http lets the test set Host and Origin exactly as a browser does (fetch would not let it set Host).

interface Answer {
  readonly status: number;
  readonly body: string;
}

function request(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

let dir = "";
let node: RaftkvNode | undefined;
let port = 0;
let trusting: RaftkvNode | undefined;
const utf8 = new TextDecoder();

function stored(key: string): string | undefined {
  const kv = node?.engine.stateMachine.get(new TextEncoder().encode(key));
  return kv === undefined ? undefined : utf8.decode(kv.value);
}

beforeAll(async () => {
  dir = tempDir("host-origin");
  node = await RaftkvNode.start({ ...testConfig(join(dir, "a")), advertiseClient: "kv.internal:40051" }, Logger.silent());
  port = node.clientPort;
  trusting = await RaftkvNode.start({ ...testConfig(join(dir, "b")), allowedHosts: ["*"] }, Logger.silent());
});

afterAll(async () => {
  await node?.close();
  await trusting?.close();
  removeDir(dir);
});

test("a rebound name (Host: attacker.example) gets 421 and writes nothing, over REST and Connect", async () => {
  const rest = await request(port, "PUT", "/v1/kv/rebind/rest", { host: `attacker.example:${port}`, "content-type": "text/plain" }, "pwned");
  expect(rest.status).toBe(421);
  expect(rest.body).toContain('host "attacker.example:');
  expect(rest.body).toContain("--allowed-hosts");
  const connect = await request(
    port,
    "POST",
    "/raftkv.v1.KV/Put",
    { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}`, "content-type": "application/json" },
    JSON.stringify({ key: btoa("rebind/connect"), value: btoa("pwned") }),
  );
  expect(connect.status).toBe(421);
  // Reads too: the page must not read what the node holds.
  expect((await request(port, "GET", "/v1/kv/rebind/rest", { host: "attacker.example" })).status).toBe(421);
  expect(stored("rebind/rest")).toBeUndefined();
  expect(stored("rebind/connect")).toBeUndefined();
});

test("IP literals, localhost and the node's own names are answered", async () => {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `console.localhost:${port}`, "[::1]:1", "kv.internal:40051", "KV.Internal"];
  for (const [i, host] of hosts.entries()) {
    const answer = await request(port, "PUT", `/v1/kv/host/${i}`, { host }, host);
    expect({ host, status: answer.status }).toEqual({ host, status: 200 });
    expect(stored(`host/${i}`)).toBe(host);
  }
});

test("gRPC over HTTP/2 with any :authority is served: browsers never speak cleartext HTTP/2", async () => {
  const definition = protoLoader.loadSync(join(import.meta.dir, "../../proto/raftkv/v1/kv.proto"), { longs: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    raftkv: { v1: { KV: new (address: string, credentials: grpc.ChannelCredentials, options: object) => grpc.Client } };
  };
  const stub = new loaded.raftkv.v1.KV(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.default_authority": "some-service.cluster.local",
  }) as grpc.Client & {
    Put(request: object, callback: (error: grpc.ServiceError | null) => void): void;
  };
  try {
    await new Promise<void>((resolve, reject) =>
      stub.Put({ key: Buffer.from("grpc/authority"), value: Buffer.from("fine") }, (error) => (error === null ? resolve() : reject(error))),
    );
  } finally {
    stub.close();
  }
  expect(stored("grpc/authority")).toBe("fine");
});

test("a cross-site simple POST (a form on another site) is refused with CORS off, and writes nothing", async () => {
  const form = await request(
    port,
    "POST",
    "/v1/kv/csrf/form",
    { host: `127.0.0.1:${port}`, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
    "a=b",
  );
  expect(form.status).toBe(403);
  expect(form.body).toContain("origin https://evil.example is not in --cors-allowed-origins");
  const noCors = await request(port, "PUT", "/v1/kv/csrf/put", { host: `127.0.0.1:${port}`, origin: "null", "content-type": "text/plain" }, "x");
  expect(noCors.status).toBe(403);
  expect(stored("csrf/form")).toBeUndefined();
  expect(stored("csrf/put")).toBeUndefined();
  // The node's own page (same origin) and tools that send no Origin are unaffected.
  const own = await request(port, "PUT", "/v1/kv/csrf/own", { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }, "mine");
  expect(own.status).toBe(200);
  expect(stored("csrf/own")).toBe("mine");
});

test("--allowed-hosts '*' answers any name", async () => {
  const answer = await request(trusting?.clientPort ?? 0, "PUT", "/v1/kv/any-host", { host: "attacker.example" }, "v");
  expect(answer.status).toBe(200);
});

test("--allowed-hosts takes host names or *, and names what is not one", () => {
  expect(parseAllowedHosts("")).toEqual([]);
  expect(parseAllowedHosts(" KV.Internal , raftkv-0.raftkv.svc.,")).toEqual(["kv.internal", "raftkv-0.raftkv.svc"]);
  expect(parseAllowedHosts("*")).toEqual(["*"]);
  expect(() => parseAllowedHosts("http://kv.internal")).toThrow('--allowed-hosts: "http://kv.internal" is not a host name');
  expect(() => parseAllowedHosts("kv.internal:40051")).toThrow("is not a host name");
});
