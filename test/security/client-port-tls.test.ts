import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { capturingLogger, startTestNodeWith } from "../support/test-node.ts";
import { type IssuedCertificate, TestPki } from "../support/test-pki.ts";

let dir = "";
let node: RaftkvNode | undefined;
let endpoint = "";
let pki: TestPki;
let served: IssuedCertificate;
const captured = capturingLogger("info");
const utf8 = new TextEncoder();

beforeAll(async () => {
  dir = tempDir("client-tls");
  pki = TestPki.create(join(dir, "pki"));
  const issued = pki.issue("node-a", { sans: ["DNS:localhost", "IP:127.0.0.1"] });
  // The node reads these paths; the test replaces their contents to rotate.
  served = { ...issued, certFile: join(dir, "serving.crt"), keyFile: join(dir, "serving.key") };
  copyFileSync(issued.certFile, served.certFile);
  copyFileSync(issued.keyFile, served.keyFile);
  ({ node, endpoint } = await startTestNodeWith(join(dir, "data"), { security: { certFile: served.certFile, keyFile: served.keyFile } }, captured.logger));
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

test("REST over https with fetch: PUT then GET with the test CA trusted", async () => {
  const put = await fetch(`https://${endpoint}/v1/kv/tls/rest`, { method: "PUT", body: "over tls", tls: { ca: pki.caCert } });
  expect(put.status).toBe(200);
  const get = await fetch(`https://${endpoint}/v1/kv/tls/rest`, { tls: { ca: pki.caCert } });
  expect(get.status).toBe(200);
  expect(await get.text()).toBe("over tls");
});

test("Connect JSON over https with fetch (HTTP/1.1 by ALPN)", async () => {
  const answer = await fetch(`https://${endpoint}/raftkv.v1.KV/Get`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key: Buffer.from("tls/rest").toString("base64") }),
    tls: { ca: pki.caCert },
  });
  expect(answer.status).toBe(200);
  const body = (await answer.json()) as { found?: boolean; kv?: { value?: string } };
  expect(body.found).toBe(true);
  expect(Buffer.from(body.kv?.value ?? "", "base64").toString()).toBe("over tls");
});

test("gRPC over TLS with Connect's transport: HTTP/2 negotiated by ALPN", async () => {
  const kv = createClient(KV, createGrpcTransport({ baseUrl: `https://${endpoint}`, nodeOptions: { ca: pki.caCert } }));
  const put = await kv.put({ key: utf8.encode("tls/grpc"), value: utf8.encode("connect") });
  expect(put.index).toBeGreaterThan(0n);
  const got = await kv.get({ key: utf8.encode("tls/grpc") });
  expect(new TextDecoder().decode(got.kv?.value)).toBe("connect");
});

test("gRPC over TLS with grpc-js and TLS channel credentials", async () => {
  const definition = protoLoader.loadSync(join(import.meta.dir, "../../proto/raftkv/v1/kv.proto"), { longs: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    raftkv: { v1: { KV: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } };
  };
  // "localhost", not the IP: grpc-js sets the TLS server name from the target, and an IP is not a server name.
  const stub = new loaded.raftkv.v1.KV(`localhost:${node?.clientPort ?? 0}`, grpc.credentials.createSsl(Buffer.from(pki.caCert))) as grpc.Client & {
    Get(request: object, callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void): void;
  };
  try {
    const got = await new Promise<Record<string, unknown>>((resolve, reject) => {
      stub.Get({ key: Buffer.from("tls/grpc") }, (error, response) => (error === null ? resolve(response) : reject(error)));
    });
    expect(got.found).toBe(true);
  } finally {
    stub.close();
  }
});

test("a plaintext client is refused cleanly: HTTP/1.1 and HTTP/2 prior knowledge get nothing, the node keeps serving", async () => {
  const plain = await fetch(`http://${endpoint}/v1/kv/tls/rest`).then(
    (response) => `answered ${response.status}`,
    (error: unknown) => `failed: ${String(error)}`,
  );
  expect(plain).toStartWith("failed");
  const h2c = await new Promise<string>((resolve) => {
    const session = http2.connect(`http://${endpoint}`);
    session.on("error", (error) => resolve(`failed: ${error.message}`));
    const stream = session.request({ ":path": "/v1/kv/tls/rest" });
    stream.on("response", () => resolve("answered"));
    stream.on("error", (error) => resolve(`failed: ${error.message}`));
    // Bun's client reports the cut as a stream closed without a response.
    stream.on("close", () => resolve("failed: closed without a response"));
    stream.end();
  });
  expect(h2c).toStartWith("failed");
  // Raw bytes that are no TLS record: closed without an answer.
  const raw = await new Promise<string>((resolve) => {
    const socket = net.connect(node?.clientPort ?? 0, "127.0.0.1", () => socket.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("close", () => resolve(received));
    socket.on("error", () => {});
  });
  expect(raw).toBe("");
  const still = await fetch(`https://${endpoint}/v1/kv/tls/rest`, { tls: { ca: pki.caCert } });
  expect(await still.text()).toBe("over tls");
  expect(captured.lines.some((line) => line.msg === "refused a connection on the TLS client port" && String(line.reason).includes("plaintext"))).toBe(true);
});

test("a certificate replaced on disk is used by the next connection, without a restart", async () => {
  const before = await servedCertificate();
  const next = pki.issue("node-a-next", { sans: ["DNS:localhost", "IP:127.0.0.1"] });
  copyFileSync(next.keyFile, served.keyFile);
  copyFileSync(next.certFile, served.certFile);
  const after = await servedCertificate();
  expect(after.serialNumber).not.toBe(before.serialNumber);
  expect(after.fingerprint256).toBe(new (await import("node:crypto")).X509Certificate(next.cert).fingerprint256);
  expect(captured.lines.some((line) => line.msg === "client port certificate reloaded")).toBe(true);
  // And it serves on the new certificate.
  const get = await fetch(`https://${endpoint}/v1/kv/tls/rest`, { tls: { ca: pki.caCert } });
  expect(await get.text()).toBe("over tls");
});

test("a half-written or expired replacement is refused with one log line and the last good certificate stays", async () => {
  const before = await servedCertificate();
  const other = TestPki.create(join(dir, "other"), "other").issue("node-other", { sans: ["IP:127.0.0.1"] });
  // A key that does not belong to the certificate: refused, the previous pair keeps serving.
  copyFileSync(other.keyFile, served.keyFile);
  const after = await servedCertificate();
  expect(after.fingerprint256).toBe(before.fingerprint256);
  const refusal = captured.lines.find((line) => line.msg === "client port certificate files refused; still using the previous ones");
  expect(String(refusal?.error)).toContain("--key-file");
  expect(String(refusal?.error)).toContain("is not the key of the certificate in --cert-file");
});

test("certificate expiry is readable from the node for monitoring", () => {
  const seconds = node?.certificateExpiry() ?? 0;
  // Issued for 10 days.
  expect(seconds).toBeGreaterThan(9 * 86_400);
  expect(seconds).toBeLessThanOrEqual(10 * 86_400);
});

function servedCertificate(): Promise<import("node:crypto").X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: node?.clientPort ?? 0, ca: pki.caCert, ALPNProtocols: ["http/1.1"] }, () => {
      const certificate = socket.getPeerX509Certificate();
      socket.destroy();
      if (certificate === undefined) reject(new Error("no certificate"));
      else resolve(certificate);
    });
    socket.on("error", reject);
  });
}
