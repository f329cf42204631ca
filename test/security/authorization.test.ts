import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { withBearerToken } from "../../src/client/bearer-transport.ts";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.ts";
import { Cluster } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Lease } from "../../src/gen/raftkv/v1/lease_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { capturingLogger, startTestNodeWith } from "../support/test-node.ts";

const tokens = {
  ci: "ci-token-0123456789abcdef",
  reader: "reader-token-0123456789abcdef",
  admin: "admin-token-0123456789abcdef",
};
const authFile = {
  roles: {
    "app-reader": [{ prefix: "app/", permission: "read" }],
    "cache-writer": [{ prefix: "app/cache/", permission: "write" }],
    ops: [{ prefix: "", permission: "admin" }],
  },
  tokens: [
    { name: "ci", token: tokens.ci, roles: ["app-reader", "cache-writer"] },
    { name: "reader", token: tokens.reader, roles: ["app-reader"] },
    { name: "admin", token: tokens.admin, roles: ["ops"] },
  ],
};

let dir = "";
let file = "";
let node: RaftkvNode | undefined;
let endpoint = "";
const captured = capturingLogger("info");
const utf8 = new TextEncoder();
const bytes = (text: string): Uint8Array => utf8.encode(text);

type Protocol = "grpc" | "connect";
function clients(token: string | undefined, protocol: Protocol = "grpc") {
  const base =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl: `http://${endpoint}` })
      : createConnectTransport({ baseUrl: `http://${endpoint}`, httpVersion: "1.1" });
  const transport = token === undefined ? base : withBearerToken(base, token);
  return {
    kv: createClient(KV, transport),
    lease: createClient(Lease, transport),
    cluster: createClient(Cluster, transport),
    health: createClient(Health, transport),
  };
}

async function codeOf(call: () => Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

beforeAll(async () => {
  dir = tempDir("auth");
  file = join(dir, "tokens.json");
  writeFileSync(file, JSON.stringify(authFile, null, 2));
  ({ node, endpoint } = await startTestNodeWith(join(dir, "data"), { security: { authTokenFile: file } }, captured.logger));
  await clients(tokens.admin).kv.put({ key: bytes("app/existing"), value: bytes("before") });
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

/** Every RPC that changes state, called as `kv`, `lease` and `cluster` of one credential. */
function writeCalls(c: ReturnType<typeof clients>): Record<string, () => Promise<unknown>> {
  return {
    Put: () => c.kv.put({ key: bytes("app/x"), value: bytes("no") }),
    Delete: () => c.kv.delete({ key: bytes("app/existing") }),
    DeleteRange: () => c.kv.delete({ key: bytes("app/"), rangeEnd: bytes("app0") }),
    Txn: () => c.kv.txn({ success: [{ op: { case: "put", value: { key: bytes("app/x"), value: bytes("no") } } }] }),
    Compact: () => c.kv.compact({ index: 1n }),
    LeaseRevoke: () => c.lease.leaseRevoke({ id: 1n }),
    AddVoter: () => c.cluster.addVoter({ id: "intruder", raftAddress: "127.0.0.1:1" }),
    AddNonvoter: () => c.cluster.addNonvoter({ id: "intruder", raftAddress: "127.0.0.1:1" }),
    DemoteVoter: () => c.cluster.demoteVoter({ id: "test1" }),
    RemoveServer: () => c.cluster.removeServer({ id: "test1" }),
    TransferLeadership: () => c.cluster.transferLeadership({ id: "" }),
    Snapshot: () => c.cluster.snapshot({}),
    Barrier: () => c.cluster.barrier({}),
  };
}

describe.each(["grpc", "connect"] as const)("over %s", (protocol) => {
  test("no token, a wrong token, a read-only token: every write RPC is refused and nothing is applied", async () => {
    const applied = node?.engine.stateMachine.appliedIndex();
    const cases: [string, string | undefined, Code][] = [
      ["no token", undefined, Code.Unauthenticated],
      ["wrong token", "not-a-token-of-this-cluster", Code.Unauthenticated],
      ["read-only token", tokens.reader, Code.PermissionDenied],
    ];
    for (const [label, token, expected] of cases) {
      for (const [rpc, call] of Object.entries(writeCalls(clients(token, protocol)))) {
        expect(`${label} ${rpc}: ${await codeOf(call)}`).toBe(`${label} ${rpc}: ${expected}`);
      }
    }
    expect(node?.engine.stateMachine.appliedIndex()).toBe(applied);
    expect(new TextDecoder().decode(node?.engine.stateMachine.get(bytes("app/existing"))?.value)).toBe("before");
  });
});

test("leases: granting and keeping alive need a valid credential (any role), revoking needs admin", async () => {
  for (const token of [undefined, "not-a-token-of-this-cluster"]) {
    const anonymous = clients(token);
    expect(await codeOf(() => anonymous.lease.leaseGrant({ ttlSeconds: 10n }))).toBe(Code.Unauthenticated);
    expect(await codeOf(() => anonymous.lease.leaseKeepAlive({ id: 1n }))).toBe(Code.Unauthenticated);
  }
  const reader = clients(tokens.reader);
  const granted = await reader.lease.leaseGrant({ ttlSeconds: 10n });
  expect(await codeOf(() => reader.lease.leaseKeepAlive({ id: granted.id }))).toBe("ok");
  expect(await codeOf(() => reader.lease.leaseTimeToLive({ id: granted.id, keys: true }))).toBe(Code.PermissionDenied);
  expect(await codeOf(() => reader.lease.leaseRevoke({ id: granted.id }))).toBe(Code.PermissionDenied);
  expect(await codeOf(() => clients(tokens.admin).lease.leaseRevoke({ id: granted.id }))).toBe("ok");
});

test("roles grant by prefix: ci reads app/ and writes app/cache/ only; admin does everything", async () => {
  const ci = clients(tokens.ci);
  expect(await codeOf(() => ci.kv.put({ key: bytes("app/cache/a"), value: bytes("1") }))).toBe("ok");
  expect(await codeOf(() => ci.kv.get({ key: bytes("app/existing") }))).toBe("ok");
  expect(await codeOf(() => ci.kv.range({ prefix: bytes("app/") }))).toBe("ok");
  expect(await codeOf(() => ci.kv.put({ key: bytes("app/other"), value: bytes("1") }))).toBe(Code.PermissionDenied);
  expect(await codeOf(() => ci.kv.get({ key: bytes("secret/x") }))).toBe(Code.PermissionDenied);
  // A range reaching beyond app/ is refused whole, not trimmed.
  expect(await codeOf(() => ci.kv.range({ start: bytes("app/"), end: bytes("b") }))).toBe(Code.PermissionDenied);
  expect(await codeOf(() => ci.kv.range({}))).toBe(Code.PermissionDenied);
  // Reading the configuration (leader discovery) needs only a valid token.
  expect(await codeOf(() => ci.cluster.getConfiguration({}))).toBe("ok");
  const admin = clients(tokens.admin);
  expect(await codeOf(() => admin.kv.put({ key: bytes("anything"), value: bytes("1") }))).toBe("ok");
  expect(await codeOf(() => admin.cluster.barrier({}))).toBe("ok");
});

test("a Txn touching one forbidden key is refused whole, in any branch or compare, and nothing is applied", async () => {
  const ci = clients(tokens.ci);
  const allowed = { op: { case: "put" as const, value: { key: bytes("app/cache/txn"), value: bytes("ok") } } };
  const forbiddenPut = { op: { case: "put" as const, value: { key: bytes("app/forbidden"), value: bytes("no") } } };
  const forbiddenRead = { op: { case: "get" as const, value: { key: bytes("secret/k") } } };
  const applied = node?.engine.stateMachine.appliedIndex();
  expect(await codeOf(() => ci.kv.txn({ success: [allowed], failure: [forbiddenPut] }))).toBe(Code.PermissionDenied);
  expect(await codeOf(() => ci.kv.txn({ success: [allowed, forbiddenRead] }))).toBe(Code.PermissionDenied);
  expect(await codeOf(() => ci.kv.txn({ compare: [{ key: bytes("secret/k"), op: 1, target: { case: "version", value: 0n } }], success: [allowed] }))).toBe(
    Code.PermissionDenied,
  );
  expect(node?.engine.stateMachine.appliedIndex()).toBe(applied);
  expect(node?.engine.stateMachine.get(bytes("app/cache/txn"))).toBeUndefined();
  expect(await codeOf(() => ci.kv.txn({ success: [allowed] }))).toBe("ok");
});

test("Watch on a forbidden prefix ends with PERMISSION_DENIED before any event; on an allowed one it streams", async () => {
  const ci = clients(tokens.ci);
  const refused = await codeOf(async () => {
    for await (const message of ci.kv.watch({ key: bytes("secret/"), prefix: true })) void message;
  });
  expect(refused).toBe(Code.PermissionDenied);
  const wide = await codeOf(async () => {
    for await (const message of ci.kv.watch({ key: bytes("a"), rangeEnd: new Uint8Array([0]) })) void message;
  });
  expect(wide).toBe(Code.PermissionDenied);
  const abort = new AbortController();
  const stream = ci.kv.watch({ key: bytes("app/"), prefix: true }, { signal: abort.signal });
  const first = await stream[Symbol.asyncIterator]().next();
  expect(first.done).toBe(false);
  abort.abort();
});

test("REST: 401 without a token (with www-authenticate), 403 with one that lacks the right, 200 with the right one", async () => {
  const none = await fetch(`http://${endpoint}/v1/kv/app/existing`);
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toBe("Bearer");
  const wrong = await fetch(`http://${endpoint}/v1/kv/app/existing`, { headers: { authorization: "Bearer wrong-wrong-wrong-wrong" } });
  expect(wrong.status).toBe(401);
  const denied = await fetch(`http://${endpoint}/v1/kv/app/x`, { method: "PUT", body: "v", headers: { authorization: `Bearer ${tokens.reader}` } });
  expect(denied.status).toBe(403);
  expect(((await denied.json()) as { code: string }).code).toBe("permission_denied");
  const read = await fetch(`http://${endpoint}/v1/kv/app/existing`, { headers: { authorization: `Bearer ${tokens.reader}` } });
  expect(read.status).toBe(200);
  // CAS goes through Txn: the same check.
  const cas = await fetch(`http://${endpoint}/v1/kv/app/x?cas=0`, { method: "PUT", body: "v", headers: { authorization: `Bearer ${tokens.reader}` } });
  expect(cas.status).toBe(403);
});

test("health stays open without a token: /healthz and grpc.health.v1", async () => {
  expect((await fetch(`http://${endpoint}/healthz`)).status).toBe(200);
  expect(await codeOf(() => clients(undefined).health.check({}))).toBe("ok");
});

test("bad input from an unauthenticated caller is UNAUTHENTICATED, not a validation error: nothing is looked at first", async () => {
  expect(await codeOf(() => clients(undefined).kv.put({ key: new Uint8Array(0), value: bytes("v") }))).toBe(Code.Unauthenticated);
});

test("tokens never reach the log", () => {
  const text = JSON.stringify(captured.lines);
  for (const token of Object.values(tokens)) expect(text).not.toContain(token);
  expect(text).not.toContain("not-a-token-of-this-cluster");
});

test("SIGHUP reload: a new token works at once; a malformed file is refused with its line and the old tokens stay", async () => {
  const added = { ...authFile, tokens: [...authFile.tokens, { name: "late", token: "late-token-0123456789abcdef", roles: ["ops"] }] };
  writeFileSync(file, JSON.stringify(added, null, 2));
  node?.reloadSecurity();
  expect(await codeOf(() => clients("late-token-0123456789abcdef").kv.put({ key: bytes("late"), value: bytes("1") }))).toBe("ok");

  writeFileSync(file, '{\n  "roles": {},\n  "tokens": [\n    {"name": "x", "token": "short", "roles": []}\n  ]\n}\n');
  node?.reloadSecurity();
  const refusal = captured.lines.find((line) => line.msg === "auth token file refused; the tokens loaded before stay in use");
  expect(String(refusal?.error)).toBe(
    `--auth-token-file ${file} line 4: token "x": the token is 5 characters; it must be 16 to 4096 (e.g. openssl rand -hex 32)`,
  );
  expect(await codeOf(() => clients("late-token-0123456789abcdef").kv.get({ key: bytes("late") }))).toBe("ok");
});
