import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { withBearerToken } from "../../src/client/bearer-transport.ts";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { FORWARDED_IDENTITY_HEADER } from "../../src/service/auth/authorizer.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { capturingLogger, startTestNodeWith } from "../support/test-node.ts";
import { type IssuedCertificate, TestPki } from "../support/test-pki.ts";

let dir = "";
let node: RaftkvNode | undefined;
let endpoint = "";
let pki: TestPki;
let stranger: TestPki;
const captured = capturingLogger("info");
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const readerToken = "reader-token-0123456789abcdef";

beforeAll(async () => {
  dir = tempDir("client-certs");
  pki = TestPki.create(join(dir, "pki"), "clients");
  stranger = TestPki.create(join(dir, "stranger"), "stranger");
  const serving = pki.issue("server", { sans: ["DNS:localhost", "IP:127.0.0.1"] });
  const tokens = join(dir, "tokens.json");
  writeFileSync(
    tokens,
    JSON.stringify({
      roles: { "app-reader": [{ prefix: "app/", permission: "read" }], "cache-writer": [{ prefix: "app/cache/", permission: "write" }] },
      tokens: [
        { name: "ci", token: "ci-token-0123456789abcdef", roles: ["app-reader", "cache-writer"] },
        { name: "reader", token: readerToken, roles: ["app-reader"] },
      ],
    }),
  );
  ({ node, endpoint } = await startTestNodeWith(
    join(dir, "data"),
    {
      security: {
        certFile: serving.certFile,
        keyFile: serving.keyFile,
        trustedCaFile: pki.caFile,
        clientCertAuth: true,
        authTokenFile: tokens,
      },
    },
    captured.logger,
  ));
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

function kvAs(certificate: IssuedCertificate | undefined, token?: string) {
  const transport = createGrpcTransport({
    baseUrl: `https://${endpoint}`,
    nodeOptions: { ca: pki.caCert, ...(certificate === undefined ? {} : { cert: certificate.cert, key: certificate.key }) },
  });
  return createClient(KV, token === undefined ? transport : withBearerToken(transport, token));
}

async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    const failure = ConnectError.from(error);
    // The handshake fails before HTTP/2 starts: Connect reports the lost session as one of these.
    const lost = [Code.Unavailable, Code.Internal, Code.Unknown, Code.Canceled].includes(failure.code);
    return lost ? "no connection" : Code[failure.code];
  }
}

test("--client-cert-auth: no certificate, or one from another CA, gets no connection at all", async () => {
  expect(await outcome(() => kvAs(undefined).get({ key: bytes("app/x") }))).toBe("no connection");
  expect(await outcome(() => kvAs(stranger.issue("ci-stranger", { commonName: "ci" })).get({ key: bytes("app/x") }))).toBe("no connection");
  expect(captured.lines.some((line) => line.msg === "refused a connection on the TLS client port")).toBe(true);
});

test("an expired client certificate is refused at the handshake with a log line saying so", async () => {
  const expired = pki.issue("ci-expired", { commonName: "ci", days: -1 });
  expect(await outcome(() => kvAs(expired).get({ key: bytes("app/x") }))).toBe("no connection");
  const refusals = captured.lines.filter((line) => line.msg === "refused a connection on the TLS client port").map((line) => String(line.reason));
  expect(refusals.some((reason) => reason.includes("expired"))).toBe(true);
});

test("a client certificate's CN stands for the token of that name: its roles apply", async () => {
  const ci = kvAs(pki.issue("ci-client", { commonName: "ci" }));
  expect(await outcome(() => ci.put({ key: bytes("app/cache/by-cert"), value: bytes("1") }))).toBe("ok");
  expect(await outcome(() => ci.put({ key: bytes("app/other"), value: bytes("1") }))).toBe("PermissionDenied");
  const nobody = kvAs(pki.issue("nobody-client", { commonName: "nobody" }));
  expect(await outcome(() => nobody.get({ key: bytes("app/cache/by-cert") }))).toBe("PermissionDenied");
});

test("a token on a certified connection wins over the certificate's name", async () => {
  const ciWithReaderToken = kvAs(pki.issue("ci-client-2", { commonName: "ci" }), readerToken);
  expect(await outcome(() => ciWithReaderToken.put({ key: bytes("app/cache/x"), value: bytes("1") }))).toBe("PermissionDenied");
});

test("a client cannot claim to forward on behalf of another identity: only members may", async () => {
  const nobody = kvAs(pki.issue("nobody-2", { commonName: "nobody" }));
  const forged = await outcome(() => nobody.put({ key: bytes("app/cache/forged"), value: bytes("1") }, { headers: { [FORWARDED_IDENTITY_HEADER]: "ci" } }));
  expect(forged).toBe("PermissionDenied");
  expect(node?.engine.stateMachine.get(bytes("app/cache/forged"))).toBeUndefined();
});
