import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../src/gen/grpc/health/v1/health_pb.ts";
import { ServeProcess } from "../cluster/serve-process.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const utf8 = new TextEncoder();
const root = tempDir("stopped-health");
let node: ServeProcess | undefined;

afterAll(async () => {
  await node?.kill();
  removeDir(root);
});

/**
 * A node whose disk fails (an injected I/O error in raft.db's transaction)
 * stops its engine: it can serve nothing any more, so /healthz and
 * grpc.health.v1 must say so, or a supervisor keeps a dead node forever.
 */
test("a node whose engine stopped on a storage failure fails /healthz (503, naming the cause) and gRPC health (NOT_SERVING)", async () => {
  node = new ServeProcess({
    id: "n1",
    dataDir: join(root, "n1"),
    flags: ["--raft-listen", "127.0.0.1:0"],
    env: { RAFTKV_FAILPOINTS: "log.persist.before-commit=error@12" },
  });
  await node.start();
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://${node.endpoint}` }));
  const healthz = async (): Promise<{ status: number; body: string }> => {
    const response = await fetch(`http://${node?.endpoint}/healthz`);
    return { status: response.status, body: await response.text() };
  };
  expect(await healthz()).toEqual({ status: 200, body: "ok\n" });
  expect((await health.check({ service: "" })).status).toBe(ServingStatus.SERVING);
  const watch = health.watch({ service: "raftkv.v1.KV" }, { timeoutMs: 20_000 });
  const seen: ServingStatus[] = [];
  const watching = (async () => {
    for await (const answer of watch) {
      seen.push(answer.status);
      if (answer.status === ServingStatus.NOT_SERVING) return;
    }
  })();

  // Writes until the failing log write stops the engine.
  for (let i = 0; i < 40 && !node.hasLogged("raft engine stopped"); i++) {
    await node
      .client()
      .put({ key: utf8.encode(`k${i}`), value: utf8.encode("v") }, { timeoutMs: 3000 })
      .catch(() => undefined);
  }
  expect(node.hasLogged("raft engine stopped")).toBe(true);

  const after = await healthz();
  expect(after.status).toBe(503);
  expect(after.body).toMatch(/^not alive: the engine stopped after a storage failure: .*injected/);
  expect((await health.check({ service: "" })).status).toBe(ServingStatus.NOT_SERVING);
  expect((await health.check({ service: "raftkv.v1.KV" })).status).toBe(ServingStatus.NOT_SERVING);
  await watching;
  expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
}, 60_000);
