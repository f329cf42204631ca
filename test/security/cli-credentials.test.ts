import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RaftkvClient } from "../../src/client/raftkv-client.ts";
import { nodeTransportFactory } from "../../src/client/transport-for.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { type CliResult, runCli } from "../support/run-cli.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNodeWith } from "../support/test-node.ts";
import { TestPki } from "../support/test-pki.ts";

const token = "cli-token-0123456789abcdef";

let dir = "";
let node: RaftkvNode | undefined;
let endpoint = "";
let pki: TestPki;

beforeAll(async () => {
  dir = tempDir("cli-credentials");
  pki = TestPki.create(join(dir, "pki"));
  const serving = pki.issue("server", { sans: ["IP:127.0.0.1"] });
  const tokens = join(dir, "tokens.json");
  writeFileSync(tokens, JSON.stringify({ roles: { ops: [{ prefix: "", permission: "admin" }] }, tokens: [{ name: "ops", token, roles: ["ops"] }] }));
  ({ node, endpoint } = await startTestNodeWith(join(dir, "data"), {
    security: { certFile: serving.certFile, keyFile: serving.keyFile, authTokenFile: tokens },
  }));
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

async function raftkv(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli([...args, "--endpoints", endpoint], { env: { RAFTKV_ENDPOINTS: "", RAFTKV_TOKEN: "", RAFTKV_CACERT: "", ...env } });
}

test("the CLI takes --token and --cacert (or RAFTKV_TOKEN / RAFTKV_CACERT) on client commands, cluster ones included", async () => {
  const put = await raftkv(["put", "cli/k", "v", "--cacert", pki.caFile, "--token", token]);
  expect(put.stderr).toBe("");
  expect(put.exitCode).toBe(0);
  const get = await raftkv(["get", "cli/k"], { RAFTKV_TOKEN: token, RAFTKV_CACERT: pki.caFile });
  expect(get.exitCode).toBe(0);
  expect(get.stdout).toContain("v");
  const members = await raftkv(["cluster", "members", "--cacert", pki.caFile], { RAFTKV_TOKEN: token });
  expect(members.exitCode).toBe(0);
  expect(members.stdout).toContain("test1");
}, 30_000);

test("without a token the CLI fails with one line saying so; the token is not echoed", async () => {
  const refused = await raftkv(["put", "cli/k", "v2", "--cacert", pki.caFile]);
  expect(refused.exitCode).toBe(1);
  expect(refused.stderr.trim().split("\n")).toHaveLength(1);
  expect(refused.stderr.toLowerCase()).toContain("unauthenticated");
  const wrong = await raftkv(["put", "cli/k", "v2", "--cacert", pki.caFile, "--token", "wrong-token-0000000000000"]);
  expect(wrong.exitCode).toBe(1);
  expect(wrong.stderr).not.toContain("wrong-token-0000000000000");
}, 30_000);

test("the TypeScript client takes a token option and TLS options", async () => {
  const client = new RaftkvClient({ endpoints: [endpoint], transport: nodeTransportFactory("grpc", { ca: pki.caCert }), token });
  await client.put("lib/k", "from the library");
  const got = await client.get("lib/k");
  expect(new TextDecoder().decode(got.kv?.value)).toBe("from the library");
  const anonymous = new RaftkvClient({ endpoints: [endpoint], transport: nodeTransportFactory("grpc", { ca: pki.caCert }) });
  expect(
    await anonymous.get("lib/k").then(
      () => "ok",
      (error: unknown) => String(error),
    ),
  ).toContain("unauthenticated");
});
