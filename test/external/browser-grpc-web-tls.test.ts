import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNodeWith } from "../support/test-node.ts";
import { TestPki } from "../support/test-pki.ts";
import { bundlePage } from "./browser/bundle-page.ts";
import type { PageOutcome } from "./browser/page-entry.ts";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const token = "browser-token-0123456789abcdef";

let dir = "";
let node: RaftkvNode | undefined;
let endpoint = "";
let browser: Browser | undefined;

/** Chromium's pin for one certificate: base64 SHA-256 of its SubjectPublicKeyInfo. */
function spkiPin(certFile: string): string {
  const run = spawnSync(
    "sh",
    ["-c", 'openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64', "pin", certFile],
    { encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`spki pin: ${run.stderr}`);
  return run.stdout.trim();
}

beforeAll(async () => {
  dir = tempDir("browser-tls");
  const pki = TestPki.create(join(dir, "pki"));
  const serving = pki.issue("server", { sans: ["DNS:localhost", "IP:127.0.0.1"] });
  const tokens = join(dir, "tokens.json");
  writeFileSync(
    tokens,
    JSON.stringify({ roles: { browser: [{ prefix: "browser/", permission: "write" }] }, tokens: [{ name: "page", token, roles: ["browser"] }] }),
  );
  ({ node, endpoint } = await startTestNodeWith(join(dir, "data"), {
    security: { certFile: serving.certFile, keyFile: serving.keyFile, authTokenFile: tokens },
  }));
  // The test CA is not in Chromium's store: the server's key is pinned instead, so the handshake is verified, not skipped.
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      `--ignore-certificate-errors-spki-list=${spkiPin(serving.certFile)}`,
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await node?.close();
  removeDir(dir);
});

test("Chromium over https: gRPC-Web put, get, txn and a streaming watch with a bearer token", async () => {
  if (browser === undefined) throw new Error("no browser");
  const script = await bundlePage();
  const page = await browser.newPage();
  const origin = `https://${endpoint}`;
  await page.route(`${origin}/__browser-test/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path.endsWith("/page.js")) await route.fulfill({ contentType: "text/javascript", body: script });
    else await route.fulfill({ contentType: "text/html", body: '<!doctype html><script type="module" src="page.js"></script>' });
  });
  const browserErrors: string[] = [];
  page.on("pageerror", (error) => browserErrors.push(error.message));
  await page.goto(`${origin}/__browser-test/index.html`);
  await page.waitForFunction(() => typeof (globalThis as { runRaftkvPage?: unknown }).runRaftkvPage === "function", undefined, { timeout: 10_000 });
  const run = (withToken: string | undefined): Promise<PageOutcome | string> =>
    page.evaluate(
      ([target, bearer]) =>
        (globalThis as unknown as { runRaftkvPage: (e: string, t?: string) => Promise<unknown> })
          .runRaftkvPage(target ?? "", bearer ?? undefined)
          .catch((error: unknown) => `failed: ${String(error)}`),
      [origin, withToken ?? null] as const,
    ) as Promise<PageOutcome | string>;

  const refused = await run(undefined);
  expect(String(refused)).toContain("unauthenticated");
  const outcome = await run(token);
  if (typeof outcome === "string") throw new Error(outcome);
  expect(browserErrors).toEqual([]);
  expect(outcome.gotValue).toBe("hello from chromium");
  expect(outcome.txnSucceeded).toBe(true);
  expect(outcome.watchedKeys).toEqual(["browser/greeting", "browser/lock"]);
  await page.close();
}, 60_000);
