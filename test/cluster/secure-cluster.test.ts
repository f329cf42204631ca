import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { withBearerToken } from "../../src/client/bearer-transport.ts";
import { Cluster } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { Consistency, KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { type IssuedCertificate, TestPki } from "../support/test-pki.ts";
import { fastRaftFlags } from "./proxied-cluster.ts";
import { ServeProcess } from "./serve-process.ts";

// Three real processes with TLS on the client port (client certificates required), mutual TLS on the
// Raft port (members' certificates from a CA of their own) and tokens: the whole security surface at once.

const ids = ["n1", "n2", "n3"];
const adminToken = "admin-token-0123456789abcdef";
const ciToken = "ci-token-0123456789abcdef";
const readerToken = "reader-token-0123456789abcdef";
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

let root = "";
let clientPki: TestPki;
let peerPki: TestPki;
let nodes: ServeProcess[] = [];
let anyClientCert: IssuedCertificate;

function securityFlags(id: string, client: TestPki, peer: TestPki, tokens: string): string[] {
  const serving = client.issue(`${id}-client`, { sans: [`DNS:${id}`, "DNS:localhost", "IP:127.0.0.1"] });
  const member = peer.issue(`${id}-peer`, { sans: [`DNS:${id}`] });
  return [
    "--cert-file",
    serving.certFile,
    "--key-file",
    serving.keyFile,
    "--trusted-ca-file",
    client.caFile,
    "--client-cert-auth",
    "--peer-cert-file",
    member.certFile,
    "--peer-key-file",
    member.keyFile,
    "--peer-trusted-ca-file",
    peer.caFile,
    "--auth-token-file",
    tokens,
  ];
}

function kvAt(node: ServeProcess, certificate: IssuedCertificate, token?: string): Client<typeof KV> {
  const transport = createGrpcTransport({
    baseUrl: `https://${node.endpoint}`,
    nodeOptions: { ca: clientPki.caCert, cert: certificate.cert, key: certificate.key },
  });
  return createClient(KV, token === undefined ? transport : withBearerToken(transport, token));
}

function clusterAt(node: ServeProcess): Client<typeof Cluster> {
  const transport = createGrpcTransport({
    baseUrl: `https://${node.endpoint}`,
    nodeOptions: { ca: clientPki.caCert, cert: anyClientCert.cert, key: anyClientCert.key },
  });
  return createClient(Cluster, withBearerToken(transport, adminToken));
}

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return Code[ConnectError.from(error).code];
  }
}

beforeAll(async () => {
  root = tempDir("secure");
  clientPki = TestPki.create(join(root, "client-pki"), "clients");
  peerPki = TestPki.create(join(root, "peer-pki"), "members");
  anyClientCert = clientPki.issue("anonymous", { commonName: "anonymous" });
  const tokens = join(root, "tokens.json");
  writeFileSync(
    tokens,
    JSON.stringify({
      roles: {
        ops: [{ prefix: "", permission: "admin" }],
        "app-reader": [{ prefix: "app/", permission: "read" }],
        "cache-writer": [{ prefix: "app/cache/", permission: "write" }],
      },
      tokens: [
        { name: "admin", token: adminToken, roles: ["ops"] },
        { name: "ci", token: ciToken, roles: ["app-reader", "cache-writer"] },
        { name: "reader", token: readerToken, roles: ["app-reader"] },
      ],
    }),
  );
  const raftPorts = ids.map(() => freePort());
  const initialCluster = ids.map((id, i) => `${id}=127.0.0.1:${raftPorts[i]}`).join(",");
  nodes = ids.map(
    (id, i) =>
      new ServeProcess({
        id,
        dataDir: join(root, id),
        flags: [
          "--raft-listen",
          `127.0.0.1:${raftPorts[i]}`,
          "--initial-cluster",
          initialCluster,
          ...fastRaftFlags,
          ...securityFlags(id, clientPki, peerPki, tokens),
        ],
      }),
  );
  await Promise.all(nodes.map((node) => node.start()));
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.terminate()));
  removeDir(root);
}, 60_000);

async function leaderAndFollower(): Promise<{ leader: ServeProcess; follower: ServeProcess }> {
  const leaderId = await eventually("a leader over mutual TLS", async () => {
    const status = await clusterAt(nodes[0] as ServeProcess).status({}, { timeoutMs: 2000 });
    return status.leaderId === "" ? undefined : status.leaderId;
  });
  // Members record their client addresses shortly after the election: a follower forwards only once it knows the leader's.
  await eventually("every member's client address recorded", async () => {
    const configuration = await clusterAt(nodes[0] as ServeProcess).getConfiguration({}, { timeoutMs: 2000 });
    return configuration.members.every((m) => m.clientAddress !== "") ? true : undefined;
  });
  const leader = nodes.find((node) => node.id === leaderId);
  const follower = nodes.find((node) => node.id !== leaderId);
  if (leader === undefined || follower === undefined) throw new Error(`no leader/follower among ${ids.join(",")}`);
  return { leader, follower };
}

test("a follower forwards a write under auth: the caller's token is checked again on the leader", async () => {
  const { leader, follower } = await leaderAndFollower();
  const put = await kvAt(follower, anyClientCert, ciToken).put({ key: bytes("app/cache/forwarded"), value: bytes("via follower") }, { timeoutMs: 10_000 });
  expect(put.header?.leaderId).toBe(leader.id);
  const read = await kvAt(leader, anyClientCert, adminToken).get({ key: bytes("app/cache/forwarded"), consistency: Consistency.LINEARIZABLE });
  expect(new TextDecoder().decode(read.kv?.value)).toBe("via follower");
  // Refused on the follower, never forwarded: not on the leader either.
  expect(await codeOf(() => kvAt(follower, anyClientCert, readerToken).put({ key: bytes("app/cache/denied"), value: bytes("x") }))).toBe("PermissionDenied");
  // Without a token the client certificate speaks: "anonymous" has no roles.
  expect(await codeOf(() => kvAt(follower, anyClientCert).put({ key: bytes("app/cache/denied"), value: bytes("x") }))).toBe("PermissionDenied");
  const denied = await kvAt(leader, anyClientCert, adminToken).get({ key: bytes("app/cache/denied"), consistency: Consistency.LINEARIZABLE });
  expect(denied.found).toBe(false);
}, 30_000);

test("a caller known by its client certificate is vouched for by the forwarding member and its roles are checked on the leader", async () => {
  const { leader, follower } = await leaderAndFollower();
  const ci = clientPki.issue("ci-cert", { commonName: "ci" });
  await kvAt(follower, ci).put({ key: bytes("app/cache/by-cert"), value: bytes("cert") }, { timeoutMs: 10_000 });
  const read = await kvAt(leader, anyClientCert, adminToken).get({ key: bytes("app/cache/by-cert"), consistency: Consistency.LINEARIZABLE });
  expect(new TextDecoder().decode(read.kv?.value)).toBe("cert");
  const reader = clientPki.issue("reader-cert", { commonName: "reader" });
  expect(await codeOf(() => kvAt(follower, reader).put({ key: bytes("app/cache/reader"), value: bytes("x") }))).toBe("PermissionDenied");
}, 30_000);

test("a node whose certificates come from another CA cannot join", async () => {
  const strangerClients = TestPki.create(join(root, "stranger-clients"), "stranger-clients");
  const strangerPeers = TestPki.create(join(root, "stranger-peers"), "stranger-peers");
  const tokens = join(root, "stranger-tokens.json");
  writeFileSync(tokens, JSON.stringify({ roles: {}, tokens: [] }));
  const intruder = new ServeProcess({
    id: "n4",
    dataDir: join(root, "n4"),
    flags: [
      "--raft-listen",
      "127.0.0.1:0",
      "--join",
      (nodes[0] as ServeProcess).endpoint,
      "--join-timeout",
      "3s",
      ...fastRaftFlags,
      ...securityFlags("n4", strangerClients, strangerPeers, tokens),
    ],
    startTimeoutMs: 15_000,
  });
  let failure = "";
  await intruder.start().catch((error: unknown) => {
    failure = String(error);
  });
  expect(failure).toContain("exited before serving");
  expect(intruder.logLines().some((line) => String(line.text ?? line.msg).includes("join: no member of the cluster answered"))).toBe(true);
  const members = await clusterAt(nodes[0] as ServeProcess).getConfiguration({});
  expect(members.members.map((m) => m.id).sort()).toEqual(ids);
}, 30_000);

test("SIGHUP reloads certificates and tokens without stopping the node", async () => {
  const node = nodes[0] as ServeProcess;
  process.kill(node.pid ?? 0, "SIGHUP");
  await eventually("the reload line", async () => (node.hasLogged("reloading certificates and tokens") ? true : undefined), 5000);
  const status = await clusterAt(node).status({});
  expect(status.leaderId).not.toBe("");
}, 15_000);
