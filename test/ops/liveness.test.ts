import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../src/gen/grpc/health/v1/health_pb.ts";
import { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const root = tempDir("liveness");
const utf8 = new TextEncoder();
let node: ServeProcess | undefined;

afterAll(async () => {
  await node?.kill();
  removeDir(root);
});

test("a node whose engine stopped on a storage failure fails /healthz, /readyz and every gRPC health answer, naming the cause", async () => {
  node = new ServeProcess({
    id: "n1",
    dataDir: join(root, "n1"),
    flags: ["--raft-listen", `127.0.0.1:${freePort()}`],
    // The 12th log write fails as an I/O error would: the engine stops, the process stays up.
    env: { RAFTKV_FAILPOINTS: "log.persist.before-commit=error@12" },
  });
  await node.start();
  const running = node;
  expect((await fetch(`http://${running.endpoint}/healthz`)).status).toBe(200);
  const kv = running.client();
  await eventually("the engine to stop", async () => {
    try {
      await kv.put({ key: utf8.encode("k"), value: utf8.encode("v") }, { timeoutMs: 2000 });
      return undefined;
    } catch {
      return true;
    }
  });
  const healthz = await fetch(`http://${running.endpoint}/healthz`);
  expect(healthz.status).toBe(503);
  expect(await healthz.text()).toContain("the engine stopped after a storage failure");
  const readyz = await fetch(`http://${running.endpoint}/readyz`);
  expect(readyz.status).toBe(503);
  expect(((await readyz.json()) as { reason: string }).reason).toContain("storage failure");
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://${running.endpoint}` }));
  expect((await health.check({ service: "" })).status).toBe(ServingStatus.NOT_SERVING);
  expect((await health.check({ service: "raftkv.v1.KV" })).status).toBe(ServingStatus.NOT_SERVING);
  const stoppedLine = running.logLines().find((line) => line.msg === "raft engine stopped");
  expect(String(stoppedLine?.error)).toContain("failpoint");
  // No log line anywhere carries an undefined cause.
  expect(running.logLines().filter((line) => "error" in line && (line.error === undefined || line.error === null || line.error === "undefined"))).toEqual([]);
}, 60_000);
