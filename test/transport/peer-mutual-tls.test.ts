import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { PeerAllowedNames } from "../../src/security/peer-allowed-names.ts";
import { PeerPortTls } from "../../src/security/peer-port-tls.ts";
import { TlsFiles } from "../../src/security/tls-files.ts";
import { encodeEnvelopePrefix, encodeHelloFrame, encodePayloadFrame } from "../../src/transport/frame-codec.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { type IssuedCertificate, TestPki } from "../support/test-pki.ts";
import { meshPeers, startNode, TEST_CLUSTER, type TestNode, text, transportPollMs } from "./transport-harness.ts";

let dir = "";
let pki: TestPki;
let otherPki: TestPki;
const flags = { cert: "--peer-cert-file", key: "--peer-key-file", ca: "--peer-trusted-ca-file" };

beforeAll(() => {
  dir = tempDir("peer-tls");
  pki = TestPki.create(join(dir, "pki"), "peers");
  otherPki = TestPki.create(join(dir, "other"), "stranger");
});

afterAll(() => removeDir(dir));

const started: TestNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.transport.close()));
});

function peerTls(issued: IssuedCertificate, caFile: string, allowed = PeerAllowedNames.none): PeerPortTls {
  return new PeerPortTls(TlsFiles.load("Raft port", { certFile: issued.certFile, keyFile: issued.keyFile, caFiles: [caFile] }, flags), allowed);
}

async function tlsNode(id: string, tls: PeerPortTls): Promise<TestNode> {
  const node = await startNode(id, { tls });
  started.push(node);
  return node;
}

/**
 * Opens a TLS connection to `port` with `issued` as the client certificate,
 * writes `frames`, and resolves with how the connection ended.
 */
function rawTlsPeer(port: number, issued: IssuedCertificate, frames: readonly Uint8Array[]): Promise<"closed" | "open"> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: "closed" | "open"): void => {
      if (!settled) resolve(outcome);
      settled = true;
    };
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      tls: { cert: issued.cert, key: issued.key, ca: pki.caCert, rejectUnauthorized: false },
      socket: {
        handshake: (socket) => {
          for (const frame of frames) socket.write(frame);
          setTimeout(() => {
            settle("open");
            socket.end();
          }, 1500);
        },
        data: () => {},
        close: () => settle("closed"),
        error: () => settle("closed"),
        connectError: () => settle("closed"),
      },
    }).catch(() => settle("closed"));
  });
}

describe("mutual TLS on the Raft port", () => {
  test("members with certificates naming their ids exchange messages both ways", async () => {
    const a = await tlsNode("n1", peerTls(pki.issue("n1", { sans: ["DNS:n1"] }), pki.caFile));
    const b = await tlsNode("n2", peerTls(pki.issue("n2", { sans: ["DNS:n2"] }), pki.caFile));
    meshPeers([a, b]);
    a.transport.send("n2", text("over mutual tls"));
    b.transport.send("n1", text("and back"));
    await b.inbox.waitForCount(1);
    await a.inbox.waitForCount(1);
    expect(b.inbox.texts()).toEqual(["n1:over mutual tls"]);
    expect(a.inbox.texts()).toEqual(["n2:and back"]);
  });

  test("a member with a certificate from another CA cannot send a frame: closed at the handshake", async () => {
    const target = await tlsNode("n1", peerTls(pki.issue("t1", { sans: ["DNS:n1"] }), pki.caFile));
    // A real transport with a stranger's certificate keeps trying; not one frame gets through.
    const stranger = await tlsNode("n2", peerTls(otherPki.issue("s2", { sans: ["DNS:n2"] }), otherPki.caFile));
    stranger.transport.setPeer("n1", target.address);
    for (let i = 0; i < 5; i++) stranger.transport.send("n1", text(`forged ${i}`));
    // A raw client too, sending a well-formed hello and payload.
    const prefix = encodeEnvelopePrefix(TEST_CLUSTER, "n2", "n1");
    const outcome = await rawTlsPeer(target.transport.port, otherPki.issue("s2-raw", { sans: ["DNS:n2"] }), [
      encodeHelloFrame(prefix),
      encodePayloadFrame(prefix, text("x")),
    ]);
    expect(outcome).toBe("closed");
    await eventually(
      () => `tls refusals: ${JSON.stringify(target.transport.stats().inbound)}`,
      () => target.transport.stats().inbound.tlsRefusedConnections >= 2,
      5000,
      transportPollMs,
    );
    expect(target.transport.stats().inbound.receivedFrames).toBe(0);
    expect(target.inbox.messages).toEqual([]);
  });

  test("an expired member certificate is refused at the handshake, and the log line says why", async () => {
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (message: string, fields?: Readonly<Record<string, unknown>>) => warnings.push(`${message} ${String(fields?.reason)}`),
    };
    const target = await startNode("n1", { tls: peerTls(pki.issue("e1", { sans: ["DNS:n1"] }), pki.caFile), logger });
    started.push(target);
    const expired = pki.issue("expired-n2", { sans: ["DNS:n2"], days: -1 });
    const prefix = encodeEnvelopePrefix(TEST_CLUSTER, "n2", "n1");
    expect(await rawTlsPeer(target.transport.port, expired, [encodeHelloFrame(prefix)])).toBe("closed");
    await eventually("a warning", () => warnings.length > 0, 5000, transportPollMs);
    expect(warnings[0]).toContain("rejected Raft peer connection TLS handshake failed");
    expect(warnings[0]).toContain("expired");
    expect(target.transport.stats().inbound.receivedFrames).toBe(0);
  });

  test("a member presenting another member's name is refused: the hello must match the certificate", async () => {
    const target = await tlsNode("n1", peerTls(pki.issue("i1", { sans: ["DNS:n1"] }), pki.caFile));
    const n2 = pki.issue("i2", { sans: ["DNS:n2"] });
    // n2's key, claiming to be n3.
    const forged = encodeEnvelopePrefix(TEST_CLUSTER, "n3", "n1");
    const outcome = await rawTlsPeer(target.transport.port, n2, [encodeHelloFrame(forged), encodePayloadFrame(forged, text("as n3"))]);
    expect(outcome).toBe("closed");
    expect(target.transport.stats().inbound.rejectionsByKind["certificate-mismatch"]).toBe(1);
    expect(target.inbox.messages).toEqual([]);
    // The same key as itself is accepted.
    const own = encodeEnvelopePrefix(TEST_CLUSTER, "n2", "n1");
    expect(await rawTlsPeer(target.transport.port, n2, [encodeHelloFrame(own), encodePayloadFrame(own, text("as n2"))])).toBe("open");
    expect(target.inbox.texts()).toEqual(["n2:as n2"]);
  });

  test("a dialer refuses a listener whose certificate names another member", async () => {
    const impostor = await tlsNode("n3", peerTls(pki.issue("d3", { sans: ["DNS:n3"] }), pki.caFile));
    const dialer = await tlsNode("n1", peerTls(pki.issue("d1", { sans: ["DNS:n1"] }), pki.caFile));
    // n1 believes n2 lives where n3 listens.
    dialer.transport.setPeer("n2", impostor.address);
    dialer.transport.send("n2", text("for n2 only"));
    await eventually("connect failure", () => (dialer.transport.stats().peers.n2?.connectFailures ?? 0) >= 1, 5000, transportPollMs);
    expect(dialer.transport.stats().peers.n2?.connected).toBe(false);
    expect(impostor.inbox.messages).toEqual([]);
  });

  test("--peer-allowed-names lets a certificate with another name speak for a member", async () => {
    const allowed = PeerAllowedNames.parse("--peer-allowed-names", "n1=node-one.example,n2=node-two.example");
    const a = await tlsNode("n1", peerTls(pki.issue("a1", { sans: ["DNS:node-one.example"] }), pki.caFile, allowed));
    const b = await tlsNode("n2", peerTls(pki.issue("a2", { sans: ["DNS:node-two.example"] }), pki.caFile, allowed));
    meshPeers([a, b]);
    a.transport.send("n2", text("allowed"));
    await b.inbox.waitForCount(1);
    expect(b.inbox.texts()).toEqual(["n1:allowed"]);
  });

  test("a certificate replaced on disk is presented on the next connection", async () => {
    const first = pki.issue("r1", { sans: ["DNS:n1"] });
    const live = { ...first, certFile: join(dir, "live.crt"), keyFile: join(dir, "live.key") };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    const target = await tlsNode("n1", peerTls(live, pki.caFile));
    const probe = pki.issue("probe2", { sans: ["DNS:probe"] });
    const fingerprint = (): Promise<string> =>
      new Promise((resolve, reject) => {
        void Bun.connect({
          hostname: "127.0.0.1",
          port: target.transport.port,
          tls: { cert: probe.cert, key: probe.key, ca: pki.caCert, rejectUnauthorized: false },
          socket: {
            handshake: (socket) => {
              resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? "");
              socket.end();
            },
            data: () => {},
            connectError: (_socket, error) => reject(error),
          },
        });
      });
    expect(await fingerprint()).toBe(new X509Certificate(first.cert).fingerprint256);
    const second = pki.issue("r2", { sans: ["DNS:n1"] });
    copyFileSync(second.keyFile, live.keyFile);
    copyFileSync(second.certFile, live.certFile);
    expect(await fingerprint()).toBe(new X509Certificate(second.cert).fingerprint256);
  });
});
