import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { NodeSecurity } from "../../src/security/node-security.ts";
import type { SecurityConfig } from "../../src/security/security-config.ts";
import { TlsFiles } from "../../src/security/tls-files.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { capturingLogger, testConfig } from "../support/test-node.ts";
import { type IssuedCertificate, TestPki } from "../support/test-pki.ts";

let dir = "";
let pki: TestPki;
let cert: IssuedCertificate;
let tokens = "";
const adminToken = "admin-token-0123456789abcdef";
const readerToken = "reader-token-0123456789abcdef";

beforeAll(() => {
  dir = tempDir("node-security");
  pki = TestPki.create(join(dir, "pki"));
  cert = pki.issue("node", { sans: ["IP:127.0.0.1"] });
  tokens = join(dir, "tokens.json");
  writeFileSync(
    tokens,
    JSON.stringify({
      roles: { ops: [{ prefix: "", permission: "admin" }], reader: [{ prefix: "", permission: "read" }] },
      tokens: [
        { name: "admin", token: adminToken, roles: ["ops"] },
        { name: "reader", token: readerToken, roles: ["reader"] },
      ],
    }),
  );
});

afterAll(() => removeDir(dir));

function refusal(config: SecurityConfig): string {
  try {
    NodeSecurity.load(config, Logger.silent());
    return "accepted";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe("flags that do not combine are refused at start with one line naming them", () => {
  test.each([
    [{ certFile: "a.crt" }, "--cert-file and --key-file go together: TLS on the client port needs both"],
    [{ clientCertAuth: true }, "--client-cert-auth needs TLS on the client port: give --cert-file and --key-file"],
    [
      { peerCertFile: "p.crt", peerKeyFile: "p.key" },
      "mutual TLS on the Raft port needs --peer-cert-file, --peer-key-file and --peer-trusted-ca-file; missing --peer-trusted-ca-file",
    ],
    [{ peerAllowedNames: "n1=a" }, "--peer-allowed-names needs mutual TLS on the Raft port (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file)"],
    [{ joinAs: "admin" }, "--join-as names a token of --auth-token-file: give --auth-token-file too"],
    [{ metricsAuth: true }, "--metrics-auth needs --auth-token-file (the tokens /metrics is checked against)"],
  ] as const)("%j", (config, message) => {
    expect(refusal(config)).toBe(message);
  });

  test("missing or mismatched files name the flag and the file", () => {
    expect(refusal({ certFile: join(dir, "none.crt"), keyFile: cert.keyFile })).toStartWith(`--cert-file ${join(dir, "none.crt")}: cannot read`);
    const other = pki.issue("other");
    expect(refusal({ certFile: cert.certFile, keyFile: other.keyFile })).toBe(
      `--key-file ${other.keyFile} is not the key of the certificate in --cert-file ${cert.certFile}`,
    );
    expect(refusal({ certFile: cert.keyFile, keyFile: cert.keyFile })).toBe(
      `--cert-file ${cert.keyFile}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file`,
    );
    expect(refusal({ authTokenFile: tokens, joinAs: "nobody" })).toBe(`--join-as "nobody": no token of that name in --auth-token-file ${tokens}`);
  });
});

test("an expired or not yet valid certificate is refused at start, naming the date", () => {
  const flags = { cert: "--cert-file", key: "--key-file", ca: "--trusted-ca-file" };
  const paths = { certFile: cert.certFile, keyFile: cert.keyFile, caFiles: [] };
  const inAYear = Date.now() + 365 * 86_400_000;
  expect(() => TlsFiles.load("client port", paths, flags, Logger.silent(), () => inAYear)).toThrow(/^--cert-file .*: certificate expired at 20/);
  const lastYear = Date.now() - 365 * 86_400_000;
  expect(() => TlsFiles.load("client port", paths, flags, Logger.silent(), () => lastYear)).toThrow(/^--cert-file .*: certificate is not valid before 20/);
});

test("a certificate that expires within 30 days is a warning at start, and its expiry is readable", () => {
  const captured = capturingLogger("info");
  const soon = pki.issue("soon", { days: 5 });
  const security = NodeSecurity.load({ certFile: soon.certFile, keyFile: soon.keyFile }, captured.logger);
  const warning = captured.lines.find((line) => String(line.msg).startsWith("client port certificate expires in"));
  expect(warning?.msg).toBe("client port certificate expires in 4 days");
  expect(security.certificateExpiry()).toBeGreaterThan(4 * 86_400);
  expect(security.certificateExpiryByPort().client).toBe(security.certificateExpiry());
});

describe("one warning line when a port listens beyond loopback with neither TLS nor auth", () => {
  const warnings = (config: SecurityConfig, clientHost: string, raftHost: string): string[] => {
    const captured = capturingLogger("warn");
    NodeSecurity.load(config, captured.logger).warnIfExposed(clientHost, raftHost);
    return captured.lines.map((line) => String(line.msg)).filter((msg) => msg.includes("listen beyond loopback"));
  };

  test("both ports exposed: one line naming both", () => {
    const lines = warnings({}, "0.0.0.0", "10.1.2.3");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith("client port on 0.0.0.0 and Raft port on 10.1.2.3 listen beyond loopback with neither TLS nor authentication");
  });

  test("loopback, or protected ports: no line", () => {
    expect(warnings({}, "127.0.0.1", "::1")).toEqual([]);
    expect(warnings({ authTokenFile: tokens }, "0.0.0.0", "127.0.0.1")).toEqual([]);
    expect(warnings({ certFile: cert.certFile, keyFile: cert.keyFile }, "0.0.0.0", "127.0.0.1")).toEqual([]);
  });
});

test("/metrics access: open by default; with --metrics-auth an admin token is needed (401 without, 403 without admin)", () => {
  const open = NodeSecurity.load({ authTokenFile: tokens }, Logger.silent());
  expect(open.metricsAccess(undefined).status).toBe(200);
  const guarded = NodeSecurity.load({ authTokenFile: tokens, metricsAuth: true }, Logger.silent());
  expect(guarded.metricsAccess(undefined).status).toBe(401);
  expect(guarded.metricsAccess("Bearer not-a-token-at-all-000").status).toBe(401);
  expect(guarded.metricsAccess(`Bearer ${readerToken}`).status).toBe(403);
  expect(guarded.metricsAccess(`Bearer ${adminToken}`).status).toBe(200);
});

test("a malformed token file fails the start before the data dir is created", async () => {
  const bad = join(dir, "bad.json");
  writeFileSync(bad, '{"roles": {},\n "tokens": [}\n');
  const dataDir = join(dir, "never-created");
  const start = RaftkvNode.start({ ...testConfig(dataDir), security: { authTokenFile: bad } }, Logger.silent());
  await expect(start).rejects.toThrow(`--auth-token-file ${bad} line 2: not valid JSON`);
  expect(existsSync(dataDir)).toBe(false);
});
