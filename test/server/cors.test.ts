import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { parseCorsAllowedOrigins } from "../../src/server/cors-policy.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { testConfig } from "../support/test-node.ts";

// Bun's fetch is no browser: it sends the Origin header it is given and shows every response
// header, so these tests see exactly what a browser would be told.
const listed = "http://app.example:3000";
const unlisted = "http://evil.example:6666";
const utf8 = new TextEncoder();

interface Started {
  readonly node: RaftkvNode;
  readonly base: string;
  readonly dir: string;
}

async function startNode(origins: readonly string[] | undefined): Promise<Started> {
  const dir = tempDir("cors");
  const config = { ...testConfig(dir), ...(origins === undefined ? {} : { corsAllowedOrigins: origins }) };
  const node = await RaftkvNode.start(config, Logger.silent());
  return { node, base: `http://127.0.0.1:${node.clientPort}`, dir };
}

async function stopNode(started: Started | undefined): Promise<void> {
  await started?.node.close();
  if (started !== undefined) removeDir(started.dir);
}

function preflight(base: string, path: string, origin: string, method = "POST", headers = "content-type,x-grpc-web,x-user-agent"): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

function connectPut(base: string, origin: string, key: string, value: string): Promise<Response> {
  return fetch(`${base}/raftkv.v1.KV/Put`, {
    method: "POST",
    headers: { origin, "content-type": "application/json" },
    body: JSON.stringify({ key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") }),
  });
}

function stored(node: RaftkvNode, key: string): string | undefined {
  const kv = node.engine.stateMachine.get(utf8.encode(key));
  return kv === undefined ? undefined : new TextDecoder().decode(kv.value);
}

describe("with --cors-allowed-origins listing one origin", () => {
  let started: Started | undefined;
  beforeAll(async () => {
    started = await startNode([listed]);
  });
  afterAll(() => stopNode(started));

  test("a preflight from the listed origin is answered with Connect's and gRPC-Web's methods and headers", async () => {
    const base = started?.base ?? "";
    const answer = await preflight(base, "/raftkv.v1.KV/Put", listed);
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe(listed);
    expect(answer.headers.get("vary")).toContain("origin");
    const methods = (answer.headers.get("access-control-allow-methods") ?? "").split(", ");
    expect(methods).toEqual(expect.arrayContaining(["POST", "GET", "PUT", "DELETE", "HEAD"]));
    const headers = (answer.headers.get("access-control-allow-headers") ?? "").split(", ");
    expect(headers).toEqual(
      expect.arrayContaining(["content-type", "connect-protocol-version", "connect-timeout-ms", "x-grpc-web", "x-user-agent", "grpc-timeout", "authorization"]),
    );
    expect(answer.headers.get("access-control-max-age")).toBe("7200");
  });

  test("the real requests from the listed origin are served and expose gRPC-Web's status and raftkv's headers", async () => {
    const { base, node } =
      started ??
      (() => {
        throw new Error("not started");
      })();
    const put = await connectPut(base, listed, "cors/listed", "yes");
    expect(put.status).toBe(200);
    expect(put.headers.get("access-control-allow-origin")).toBe(listed);
    const exposed = (put.headers.get("access-control-expose-headers") ?? "").split(", ");
    expect(exposed).toEqual(expect.arrayContaining(["grpc-status", "grpc-message", "grpc-status-details-bin", "x-raftkv-index", "x-raftkv-mod-index"]));
    expect(stored(node, "cors/listed")).toBe("yes");

    const rest = await fetch(`${base}/v1/kv/cors%2Flisted`, { headers: { origin: listed } });
    expect(rest.status).toBe(200);
    expect(await rest.text()).toBe("yes");
    expect(rest.headers.get("access-control-allow-origin")).toBe(listed);
    expect(rest.headers.get("x-raftkv-mod-index")).not.toBeNull();
  });

  test("another origin gets no CORS headers, and neither its preflight nor its write reaches the store", async () => {
    const { base, node } =
      started ??
      (() => {
        throw new Error("not started");
      })();
    const refusedPreflight = await preflight(base, "/raftkv.v1.KV/Put", unlisted);
    expect(refusedPreflight.status).toBe(403);
    expect(refusedPreflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(await refusedPreflight.text()).toContain(`origin ${unlisted} is not in --cors-allowed-origins`);

    // What a browser would send without a preflight (or a script that ignores one): refused before any handler.
    const put = await connectPut(base, unlisted, "cors/unlisted", "no");
    expect(put.status).toBe(403);
    expect(put.headers.get("access-control-allow-origin")).toBeNull();
    const restPut = await fetch(`${base}/v1/kv/cors%2Funlisted`, { method: "PUT", headers: { origin: unlisted }, body: "no" });
    expect(restPut.status).toBe(403);
    // And over HTTP/2 gRPC, which the fast path would otherwise take.
    const grpc = createClient(KV, createGrpcTransport({ baseUrl: base }));
    const refused = grpc.put({ key: utf8.encode("cors/unlisted"), value: utf8.encode("no") }, { headers: { origin: unlisted } });
    await expect(refused).rejects.toThrow("403");
    expect(stored(node, "cors/unlisted")).toBeUndefined();
  });

  test("the node's own origin (its console) and clients that send no Origin are untouched", async () => {
    const { base } =
      started ??
      (() => {
        throw new Error("not started");
      })();
    const own = await connectPut(base, base, "cors/own", "ok");
    expect(own.status).toBe(200);
    expect(own.headers.get("access-control-allow-origin")).toBeNull();
    const plain = await fetch(`${base}/v1/kv/cors%2Fown`);
    expect(await plain.text()).toBe("ok");
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS off (the default) and *", () => {
  let off: Started | undefined;
  let any: Started | undefined;
  beforeAll(async () => {
    [off, any] = await Promise.all([startNode(undefined), startNode(["*"])]);
  });
  afterAll(async () => {
    await Promise.all([stopNode(off), stopNode(any)]);
  });

  test("off: no CORS headers for anyone, so a browser refuses to send a preflighted call", async () => {
    const answer = await preflight(off?.base ?? "", "/raftkv.v1.KV/Put", listed);
    expect(answer.status).not.toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("*: every origin is allowed, answered with a literal *", async () => {
    const base = any?.base ?? "";
    const answer = await preflight(base, "/v1/kv/k", unlisted, "PUT", "content-type");
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    const put = await connectPut(base, unlisted, "cors/any", "fine");
    expect(put.status).toBe(200);
    expect(put.headers.get("access-control-allow-origin")).toBe("*");
  });
});

test("--cors-allowed-origins accepts origins and an explicit *, normalizes them, and names what is not an origin", () => {
  expect(parseCorsAllowedOrigins("")).toEqual([]);
  expect(parseCorsAllowedOrigins(" HTTP://App.Example:80/ , https://b.example:8443,")).toEqual(["http://app.example", "https://b.example:8443"]);
  expect(parseCorsAllowedOrigins("*")).toEqual(["*"]);
  expect(() => parseCorsAllowedOrigins("localhost:3000")).toThrow(
    '--cors-allowed-origins: "localhost:3000" is not an origin: expected scheme://host[:port] (e.g. http://localhost:3000), or * for any origin',
  );
  expect(() => parseCorsAllowedOrigins("http://a.example/app")).toThrow("is not an origin");
  expect(() => parseCorsAllowedOrigins("ftp://a.example")).toThrow("is not an origin");
  expect(() => parseCorsAllowedOrigins("http://*.example")).toThrow("is not an origin");
});
