import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Browser, chromium } from "playwright-core";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";
import { bundlePage } from "./browser/bundle-page.ts";
import type { PageOutcome } from "./browser/page-entry.ts";

// Debian's chromium, as CI installs it (apt-get install chromium).
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let dataDir = "";
let node: RaftkvNode | undefined;
let endpoint = "";
let browser: Browser | undefined;

beforeAll(async () => {
  dataDir = tempDir("browser");
  ({ node, endpoint } = await startTestNode(dataDir));
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
  });
});

afterAll(async () => {
  await browser?.close();
  await node?.close();
  removeDir(dataDir);
});

test("a real Chromium page uses the client library over gRPC-Web: put, get, txn (CAS) and a streaming watch", async () => {
  if (browser === undefined) throw new Error("no browser");
  const script = await bundlePage();
  const page = await browser.newPage();
  const origin = `http://${endpoint}`;
  // The page is served on the node's own origin (gRPC-Web calls are then same-origin, no CORS);
  // only these two paths are answered by the test, every RPC goes to the real server.
  await page.route(`${origin}/__browser-test/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path.endsWith("/page.js")) await route.fulfill({ contentType: "text/javascript", body: script });
    else await route.fulfill({ contentType: "text/html", body: '<!doctype html><script type="module" src="page.js"></script>' });
  });
  const browserErrors: string[] = [];
  page.on("pageerror", (error) => browserErrors.push(error.message));
  await page.goto(`${origin}/__browser-test/index.html`);
  await page.waitForFunction(() => typeof (globalThis as { runRaftkvPage?: unknown }).runRaftkvPage === "function", undefined, { timeout: 10_000 });
  const outcome = (await page.evaluate(
    (target) => (globalThis as unknown as { runRaftkvPage: (e: string) => Promise<unknown> }).runRaftkvPage(target),
    endpoint,
  )) as PageOutcome;

  expect(browserErrors).toEqual([]);
  expect(outcome.userAgent).toContain("Chrome");
  expect(Number(outcome.putIndex)).toBeGreaterThan(0);
  expect(outcome.gotValue).toBe("hello from chromium");
  expect(outcome.txnSucceeded).toBe(true);
  expect(outcome.txnRepeatSucceeded).toBe(false);
  expect(outcome.watchedKeys).toEqual(["browser/greeting", "browser/lock"]);
  // The browser's writes are in the store as any other client sees them.
  const stored = node?.engine.stateMachine.get(new TextEncoder().encode("browser/lock"));
  expect(new TextDecoder().decode(stored?.value)).toBe("mine");
  await page.close();
}, 60_000);
