import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { RaftkvClient } from "../../src/client/raftkv-client.ts";
import type { TransportFactory } from "../../src/client/transport-factory.ts";
import { nodeTransportFactory } from "../../src/client/transport-for.ts";
import { webTransportFactory } from "../../src/client/web-transport.ts";
import { WriteOutcomeUnknownError } from "../../src/client/write-outcome-unknown-error.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { freePort } from "../support/free-port.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

const retry = { timeoutMs: 5_000, attemptTimeoutMs: 3_000, initialBackoffMs: 20, maxBackoffMs: 200 };
const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

describe("failover to a live endpoint (in-process node)", () => {
  let dir = "";
  let node: RaftkvNode | undefined;
  let endpoint = "";

  beforeAll(async () => {
    dir = tempDir("client-failover");
    ({ node, endpoint } = await startTestNode(dir));
  });

  afterAll(async () => {
    await node?.close();
    removeDir(dir);
  });

  const transports: [string, TransportFactory][] = [
    ["grpc", nodeTransportFactory("grpc")],
    ["connect", nodeTransportFactory("connect")],
    ["grpc-web", nodeTransportFactory("grpc-web")],
    // The browser path: fetch-based gRPC-Web, the same client code.
    ["web-grpc-web", webTransportFactory("grpc-web")],
  ];
  for (const [protocol, transport] of transports) {
    test(`${protocol}: calls skip an endpoint where nothing listens`, async () => {
      const stopped = `127.0.0.1:${freePort()}`;
      const client = new RaftkvClient({ endpoints: [stopped, endpoint], transport, retry });
      const put = await client.put(`k-${protocol}`, "v1");
      expect(put.index).toBeGreaterThan(0n);
      const got = await client.get(`k-${protocol}`);
      expect(text(got.kv?.value)).toBe("v1");
      const page = await client.range({ prefix: new TextEncoder().encode(`k-${protocol}`) });
      expect(page.kvs.map((kv) => text(kv.key))).toEqual([`k-${protocol}`]);
      const deleted = await client.delete(`k-${protocol}`);
      expect(deleted.deleted).toBe(1n);
      expect(client.leader()).toBe("test1");
    });
  }

  test("web-grpc-web: a watch streams over fetch-based gRPC-Web", async () => {
    const client = new RaftkvClient({ endpoints: [endpoint], transport: webTransportFactory("grpc-web"), retry });
    const put = await client.put("web/w", "1");
    for await (const update of client.watch({ key: new TextEncoder().encode("web/w"), startIndex: put.index })) {
      if (update.kind !== "events") continue;
      expect(update.events.map((e) => text(e.kv?.value))).toEqual(["1"]);
      break;
    }
  });
});

describe("a stopped node", () => {
  test("writes to a node that is gone are reported: unknown outcome while its session dies, then Unavailable", async () => {
    const dir = tempDir("client-stopped");
    const { node, endpoint } = await startTestNode(dir);
    try {
      const client = new RaftkvClient({ endpoints: [endpoint], transport: nodeTransportFactory("grpc"), retry });
      await client.put("before", "1");
      await node.close();
      // The old HTTP/2 session may still take the stream and reset it: that write's fate is not known.
      const first = await client.put("after", "2", { timeoutMs: 500 }).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(ConnectError);
      if (!(first instanceof WriteOutcomeUnknownError)) expect((first as ConnectError).code).toBe(Code.Unavailable);
      // Then connections are refused: provably not sent, retried until the deadline, reported as Unavailable.
      const second = await client.put("after", "2", { timeoutMs: 500 }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(ConnectError);
      expect(second).not.toBeInstanceOf(WriteOutcomeUnknownError);
      expect((second as ConnectError).code).toBe(Code.Unavailable);
      expect((second as ConnectError).rawMessage).toContain("no endpoint could serve the call");
    } finally {
      await node.close().catch(() => undefined);
      removeDir(dir);
    }
  });
});
