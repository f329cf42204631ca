import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Server } from "bun";
import { type Browser, chromium } from "playwright-core";
import { ServeProcess } from "../cluster/serve-process.ts";
import { freePort } from "../support/free-port.ts";
import { removeDir, tempDir } from "../support/test-node.ts";

// DNS rebinding and CSRF with a real browser against a real `raftkv serve` on loopback.
// Chromium resolves attacker.test to 127.0.0.1 (--host-resolver-rules), as a rebound name would.
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let root = "";
let node: ServeProcess | undefined;
let browser: Browser | undefined;
let site: Server<undefined> | undefined;

beforeAll(async () => {
  root = tempDir("rebinding-browser");
  node = new ServeProcess({ id: "n1", dataDir: join(root, "n1"), flags: ["--raft-listen", `127.0.0.1:${freePort()}`] });
  await node.start();
  await node.client().put({ key: new TextEncoder().encode("secret"), value: new TextEncoder().encode("s3cr3t") });
  // Another site on the web: its page posts to the node on the visitor's machine.
  const target = node.endpoint;
  site = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () =>
      new Response(
        `<!doctype html><body><form id="f" method="POST" action="http://${target}/v1/kv/csrf/form" enctype="text/plain"><input name="a" value="pwned"></form>
<script>
fetch("http://${target}/v1/kv/csrf/fetch", { method: "POST", mode: "no-cors", body: "pwned" }).then(() => { document.title = "sent"; }, (e) => { document.title = "error " + e; });
</script></body>`,
        { headers: { "content-type": "text/html" } },
      ),
  });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--host-resolver-rules=MAP attacker.test 127.0.0.1",
      // Chromium's own guard (Private/Local Network Access) would stop the rebound page's requests before they leave;
      // other browsers do not have it, so it is off here: the node must refuse them itself.
      "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.stop(true);
  await node?.terminate();
  if (root !== "") removeDir(root);
});

async function stored(key: string): Promise<string | undefined> {
  const answer = await node?.client().get({ key: new TextEncoder().encode(key) });
  return answer?.found === true ? new TextDecoder().decode(answer.kv?.value) : undefined;
}

test("a rebound name: the attacker's page, now same-origin with the node, can neither read nor write it", async () => {
  if (node === undefined || browser === undefined) throw new Error("not set up");
  const port = Number(node.endpoint.split(":")[1]);
  const page = await browser.newPage();
  try {
    // Before the flip the attacker's server answered this URL with its page; after it, every request reaches the node.
    await page.route(`http://attacker.test:${port}/`, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>attacker</title>" }));
    await page.goto(`http://attacker.test:${port}/`);
    const outcome = await page.evaluate(async () => {
      const put = await fetch("/v1/kv/rebind", { method: "PUT", body: "pwned" });
      const read = await fetch("/v1/kv/secret");
      return { put: put.status, read: read.status, readBody: await read.text() };
    });
    expect(outcome.put).toBe(421);
    expect(outcome.read).toBe(421);
    expect(outcome.readBody).not.toContain("s3cr3t");
    expect(await stored("rebind")).toBeUndefined();
    // Navigating there straight away reaches the node, which refuses the name too.
    await page.unroute(`http://attacker.test:${port}/`);
    const direct = await page.goto(`http://attacker.test:${port}/`);
    expect(direct?.status()).toBe(421);
  } finally {
    await page.close();
  }
}, 60_000);

test("a page on another site posts a form and a no-cors fetch to the node: both refused, nothing written", async () => {
  if (site === undefined || browser === undefined) throw new Error("not set up");
  const page = await browser.newPage();
  try {
    await page.goto(`http://127.0.0.1:${site.port}/`);
    await page.waitForFunction(() => document.title !== "", undefined, { timeout: 10_000 });
    expect(await page.title()).toBe("sent");
    // The form navigates the page to the node's answer.
    const [response] = await Promise.all([
      page.waitForEvent("response", (r) => r.url().includes("/v1/kv/csrf/form")),
      page.evaluate(() => (document.getElementById("f") as HTMLFormElement).submit()),
    ]);
    expect(response.status()).toBe(403);
    expect(await stored("csrf/fetch")).toBeUndefined();
    expect(await stored("csrf/form")).toBeUndefined();
  } finally {
    await page.close();
  }
}, 60_000);
