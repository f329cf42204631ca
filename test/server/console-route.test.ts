import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

// A node run from source bundles the console itself on the first request
// (the compiled executable carries it: test/external/console-binary.test.ts).

let dir = "";
let node: RaftkvNode | undefined;
let base = "";

beforeAll(async () => {
  dir = tempDir("console-route");
  const started = await startTestNode(dir);
  node = started.node;
  base = `http://${started.endpoint}`;
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

test("GET / serves the console page, which loads its script and stylesheet from this node", async () => {
  const page = await fetch(`${base}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
  const html = await page.text();
  expect(html).toContain('<script type="module" src="console/app.js"></script>');
  expect(html).toContain('href="console/app.css"');

  const script = await fetch(`${base}/console/app.js`);
  expect(script.status).toBe(200);
  expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  const code = await script.text();
  expect(code.includes("createGrpcWebTransport") || code.includes("application/grpc-web")).toBe(true);
  expect(code.includes("void 0,!1,void 0,this")).toBe(false);
  expect(script.headers.get("etag")).toBe(page.headers.get("etag"));

  const css = await fetch(`${base}/console/app.css`);
  expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
}, 60_000);

test("a browser's cached copy is revalidated with the ETag; HEAD has headers only; other methods and paths are not the console's", async () => {
  const first = await fetch(`${base}/console/app.js`);
  const etag = first.headers.get("etag") ?? "";
  expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
  const cached = await fetch(`${base}/console/app.js`, { headers: { "if-none-match": etag } });
  expect(cached.status).toBe(304);
  expect(first.headers.get("cache-control")).toBe("no-cache");
  const head = await fetch(`${base}/`, { method: "HEAD" });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe("");
  expect((await fetch(`${base}/`, { method: "POST", body: "x" })).status).toBe(404);
  expect((await fetch(`${base}/console/other.js`)).status).toBe(404);
  // The REST API and health are where they were.
  expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
}, 60_000);
