import { afterAll, beforeAll, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import type { Server } from "bun";
import type { Browser } from "playwright-core";
import { ServeProcess } from "../cluster/serve-process.ts";
import { freePort } from "../support/free-port.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import type { CrossOriginOutcome, CrossOriginProtocol } from "./browser/cross-origin-entry.ts";
import { launchChromium, WatchedPage } from "./console/browser-session.ts";

// Two web sites on their own origins (other ports of 127.0.0.1), a real
// `raftkv serve` that lists only the first in --cors-allowed-origins, and
// Chromium running connect-web's clients on each site's page.

const utf8 = new TextEncoder();

let root = "";
let node: ServeProcess | undefined;
let browser: Browser | undefined;
let listedSite: Server<undefined> | undefined;
let otherSite: Server<undefined> | undefined;

async function bundlePage(): Promise<string> {
  const built = await Bun.build({ entrypoints: [resolve(import.meta.dir, "browser/cross-origin-entry.ts")], target: "browser", format: "esm" });
  const output = built.outputs[0];
  if (!built.success || output === undefined) throw new Error(`bundling the page failed: ${built.logs.map(String).join("; ")}`);
  return output.text();
}

function serveSite(script: string): Server<undefined> {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/page.js") return new Response(script, { headers: { "content-type": "text/javascript" } });
      if (path === "/")
        return new Response('<!doctype html><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>', {
          headers: { "content-type": "text/html" },
        });
      return new Response("not found", { status: 404 });
    },
  });
}

function originOf(site: Server<undefined> | undefined): string {
  if (site === undefined) throw new Error("site not started");
  return `http://127.0.0.1:${site.port}`;
}

beforeAll(async () => {
  root = tempDir("cors-browser");
  const script = await bundlePage();
  listedSite = serveSite(script);
  otherSite = serveSite(script);
  node = new ServeProcess({
    id: "n1",
    dataDir: join(root, "n1"),
    flags: ["--raft-listen", `127.0.0.1:${freePort()}`, "--cors-allowed-origins", originOf(listedSite)],
  });
  await node.start();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await node?.kill();
  await listedSite?.stop(true);
  await otherSite?.stop(true);
  removeDir(root);
});

async function runOn(
  site: Server<undefined> | undefined,
  protocol: CrossOriginProtocol,
  prefix: string,
): Promise<{ outcome: CrossOriginOutcome; errors: string[] }> {
  if (browser === undefined || node === undefined) throw new Error("not set up");
  const page = await WatchedPage.open(browser);
  try {
    await page.page.goto(`${originOf(site)}/`);
    await page.page.waitForFunction(() => typeof (globalThis as { runCrossOrigin?: unknown }).runCrossOrigin === "function", undefined, { timeout: 10_000 });
    const outcome = (await page.page.evaluate(
      ([url, p, k]) => (globalThis as unknown as { runCrossOrigin: (u: string, p: string, k: string) => Promise<unknown> }).runCrossOrigin(url, p, k),
      [`http://${node.endpoint}`, protocol, prefix] as const,
    )) as CrossOriginOutcome;
    expect(page.offLoopback).toEqual([]);
    return { outcome, errors: page.errors };
  } finally {
    await page.close();
  }
}

async function stored(key: string): Promise<string | undefined> {
  const answer = await node?.client().get({ key: utf8.encode(key) }, { timeoutMs: 5000 });
  return answer?.found === true ? new TextDecoder().decode(answer.kv?.value) : undefined;
}

for (const protocol of ["grpc-web", "connect"] as const) {
  test(`a page on a listed origin calls Put, Get and a streaming Watch over ${protocol}, and REST, cross-origin`, async () => {
    const prefix = `listed/${protocol}/`;
    const { outcome, errors } = await runOn(listedSite, protocol, prefix);
    expect(outcome.errors).toEqual([]);
    expect(errors).toEqual([]);
    expect(Number(outcome.putIndex)).toBeGreaterThan(0);
    expect(outcome.gotValue).toBe(`from ${protocol}`);
    expect(outcome.watchedKeys).toEqual([`${prefix}k`]);
    expect(outcome.restValue).toBe(`rest from ${protocol}`);
    // Readable only because the node exposes it to the page.
    expect(Number(outcome.restModIndexHeader)).toBeGreaterThan(0);
    expect(await stored(`${prefix}k`)).toBe(`from ${protocol}`);
  }, 60_000);

  test(`a page on an origin that is not listed is refused over ${protocol} and REST, and its writes never reach the store`, async () => {
    const prefix = `other/${protocol}/`;
    const { outcome, errors } = await runOn(otherSite, protocol, prefix);
    expect(outcome.putIndex).toBeUndefined();
    expect(outcome.gotValue).toBeUndefined();
    expect(outcome.watchedKeys).toEqual([]);
    expect(outcome.restValue).toBeUndefined();
    expect(outcome.errors.some((e) => e.startsWith("put:"))).toBe(true);
    expect(outcome.errors.some((e) => e.startsWith("rest:"))).toBe(true);
    // The browser says why: the node gave the origin no CORS headers.
    expect(errors.some((e) => e.includes("blocked by CORS policy"))).toBe(true);
    expect(await stored(`${prefix}k`)).toBeUndefined();
    expect(await stored(`${prefix}rest`)).toBeUndefined();
  }, 60_000);
}
