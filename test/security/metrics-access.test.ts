import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { capturingLogger, startTestNodeWith } from "../support/test-node.ts";
import { TestPki } from "../support/test-pki.ts";

const tokens = { reader: "reader-token-0123456789abcdef", admin: "admin-token-0123456789abcdef" };

let dir = "";
let node: RaftkvNode | undefined;
let endpoint = "";
let ca = "";

beforeAll(async () => {
  dir = tempDir("metrics-access");
  const pki = TestPki.create(join(dir, "pki"));
  ca = pki.caCert;
  const served = pki.issue("node-a", { sans: ["DNS:localhost", "IP:127.0.0.1"], days: 10 });
  const authTokenFile = join(dir, "tokens.json");
  writeFileSync(
    authTokenFile,
    JSON.stringify({
      roles: { reader: [{ prefix: "", permission: "read" }], ops: [{ prefix: "", permission: "admin" }] },
      tokens: [
        { name: "reader", token: tokens.reader, roles: ["reader"] },
        { name: "admin", token: tokens.admin, roles: ["ops"] },
      ],
    }),
  );
  ({ node, endpoint } = await startTestNodeWith(
    join(dir, "data"),
    { security: { certFile: served.certFile, keyFile: served.keyFile, authTokenFile, metricsAuth: true } },
    capturingLogger("warn").logger,
  ));
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

const metrics = (authorization?: string): Promise<Response> =>
  fetch(`https://${endpoint}/metrics`, { headers: authorization === undefined ? {} : { authorization }, tls: { ca } });

test("--metrics-auth: no token is 401 with a Bearer challenge, an unknown token 401, a read-only token 403", async () => {
  const none = await metrics();
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toContain("Bearer");
  expect(await none.text()).toContain("--metrics-auth");
  expect((await metrics("Bearer not-a-token")).status).toBe(401);
  const reader = await metrics(`Bearer ${tokens.reader}`);
  expect(reader.status).toBe(403);
  expect(await reader.text()).toContain('"reader"');
});

test("an admin token scrapes; the served certificate's expiry is a gauge per TLS port", async () => {
  const answer = await metrics(`Bearer ${tokens.admin}`);
  expect(answer.status).toBe(200);
  const families = parsePrometheusTextFormat(await answer.text());
  const expiry = families.find((f) => f.name === "raftkv_tls_certificate_expiry_seconds");
  const client = expiry?.metrics.find((m) => m.labels?.port === "client");
  const seconds = Number(client?.value);
  // Issued for 10 days a moment ago.
  expect(seconds).toBeGreaterThan(9 * 86_400);
  expect(seconds).toBeLessThanOrEqual(10 * 86_400);
  // No peer TLS: no series for the Raft port.
  expect(expiry?.metrics.some((m) => m.labels?.port === "raft")).toBe(false);
});

test("health and readiness stay open with --metrics-auth (probes carry no token)", async () => {
  expect((await fetch(`https://${endpoint}/healthz`, { tls: { ca } })).status).toBe(200);
  expect((await fetch(`https://${endpoint}/readyz`, { tls: { ca } })).status).toBe(200);
});
