import { afterAll, beforeAll, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { freePort } from "../support/free-port.ts";
import { ServeChild } from "../support/serve-child.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { launchChromium, WatchedPage } from "./console/browser-session.ts";

// The executable `npm run build` makes carries the console inside: built
// here with the same command into a temporary dir, started from a directory
// with no source tree, it serves the page and its bundle, and the page works
// in Chromium with nothing fetched from anywhere but the node.

const repoRoot = resolve(import.meta.dir, "../..");
let dir = "";
let child: ServeChild | undefined;
let origin = "";
let browser: Browser | undefined;

beforeAll(async () => {
  dir = tempDir("console-binary");
  const binary = join(dir, "raftkv");
  // The build script's command (package.json "build"), with another output file.
  const build = Bun.spawnSync(["bun", "build", "--compile", "--minify", "src/cli/main.ts", "--outfile", binary], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  const lines: string[] = [];
  child = await ServeChild.start({
    label: "the compiled executable",
    executable: binary,
    cwd: dir,
    args: ["--data-dir", join(dir, "data"), "--listen", "127.0.0.1:0", "--raft-listen", `127.0.0.1:${freePort()}`, "--log-format", "json"],
    onLine: (text) => lines.push(text),
    timeoutMs: 30_000,
    describe: () => lines.join("\n"),
  });
  origin = `http://127.0.0.1:${child.clientPort}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await child?.kill();
  removeDir(dir);
});

test("the compiled executable serves the console page and its bundle, with caching headers", async () => {
  const page = await fetch(`${origin}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  expect(await page.text()).toContain('src="console/app.js"');
  const script = await fetch(`${origin}/console/app.js`);
  expect(script.status).toBe(200);
  expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  const body = await script.text();
  // The whole app is in it: connect-web, the generated clients, the views.
  // (Booleans, not the body: a failure must not print 300 KB of minified code.)
  expect(body.length).toBeGreaterThan(100_000);
  expect(body.includes("raftkv.console.token")).toBe(true);
  // Production JSX: no development calls with source locations.
  expect(body.includes("void 0,!1,void 0,this")).toBe(false);
  const etag = script.headers.get("etag") ?? "";
  const again = await fetch(`${origin}/console/app.js`, { headers: { "if-none-match": etag } });
  expect(again.status).toBe(304);
  expect((await fetch(`${origin}/console/app.css`)).status).toBe(200);
  expect((await fetch(`${origin}/console/nothing.js`)).status).toBe(404);
}, 30_000);

test("the page from the executable runs in Chromium offline: one member, the leader, no errors", async () => {
  if (browser === undefined) throw new Error("no browser");
  const page = await WatchedPage.open(browser);
  try {
    await page.page.goto(`${origin}/`);
    await page.page.getByTestId("member-row").first().waitFor({ timeout: 20_000 });
    expect(await page.page.getByTestId("member-row").count()).toBe(1);
    await page.page.locator('[data-testid="member-row"][data-leader="true"]').waitFor({ timeout: 20_000 });
    expect(page.errors).toEqual([]);
    expect(page.offLoopback).toEqual([]);
  } finally {
    await page.close();
  }
}, 60_000);
