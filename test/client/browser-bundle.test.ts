import { expect, test } from "bun:test";
import { resolve } from "node:path";

test("the client's browser entry bundles for the browser without Node-only modules", async () => {
  const result = await Bun.build({ entrypoints: [resolve(import.meta.dir, "../../src/client/index.ts")], target: "browser" });
  expect(result.logs.filter((log) => log.level === "error").map(String)).toEqual([]);
  expect(result.success).toBe(true);
  const code = (await Promise.all(result.outputs.map((output) => output.text()))).join("\n");
  expect(code).toContain("createGrpcWebTransport");
  expect(code).not.toContain("connect-node");
  expect(code).not.toMatch(/from\s*"node:|require\("node:|node:http2/);
}, 60_000);
