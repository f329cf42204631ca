import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { launchChromium, WatchedPage } from "./console/browser-session.ts";

// The console on a node started with --auth-token-file: the page is served to anyone (it holds no data);
// every call it makes needs the token the operator types in.
const tokens = { admin: "console-admin-token-0123456789", reader: "console-reader-token-0123456789" };

let root = "";
let node: ServeProcess | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  root = tempDir("console-auth");
  const authTokenFile = join(root, "tokens.json");
  writeFileSync(
    authTokenFile,
    JSON.stringify({
      roles: { ops: [{ prefix: "", permission: "admin" }], "app-reader": [{ prefix: "app/", permission: "read" }] },
      tokens: [
        { name: "admin", token: tokens.admin, roles: ["ops"] },
        { name: "reader", token: tokens.reader, roles: ["app-reader"] },
      ],
    }),
  );
  node = new ServeProcess({ id: "n1", dataDir: join(root, "n1"), flags: ["--raft-listen", `127.0.0.1:${freePort()}`, "--auth-token-file", authTokenFile] });
  await node.start();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await node?.terminate();
  if (root !== "") removeDir(root);
});

test("on a node with tokens, the console asks for one, shows nothing without it, and works with an admin token", async () => {
  if (node === undefined || browser === undefined) throw new Error("not set up");
  const endpoint = node.endpoint;
  const watched = await WatchedPage.open(browser);
  try {
    const page = watched.page;
    await page.goto(`http://${endpoint}/`);
    // The node answered UNAUTHENTICATED: the dialog opens by itself and no member is shown.
    await page.getByTestId("token-dialog").waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("token-dialog").textContent()).toContain("asks for authentication");
    expect(await page.getByTestId("member-row").count()).toBe(0);

    await page.getByTestId("token-input").fill(tokens.admin);
    await page.getByTestId("token-save").click();
    await page.getByTestId("member-row").first().waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("member-row").count()).toBe(1);
    await eventually(
      "the node's own figures with the token",
      async () => ((await page.getByTestId("member-db").first().textContent())?.includes("GiB") === true ? true : undefined),
      20_000,
    );
    expect(watched.offLoopback).toEqual([]);
  } finally {
    await watched.close();
  }
}, 60_000);

test("a token without admin sees its refusal as the server's words, not a blank page", async () => {
  if (node === undefined || browser === undefined) throw new Error("not set up");
  // A key the reader may see, written over REST with the admin token.
  const put = await fetch(`http://${node.endpoint}/v1/kv/app/visible`, { method: "PUT", body: "yes", headers: { authorization: `Bearer ${tokens.admin}` } });
  expect(put.status).toBe(200);
  const watched = await WatchedPage.open(browser);
  try {
    const page = watched.page;
    await page.goto(`http://${node.endpoint}/`);
    await page.getByTestId("token-dialog").waitFor({ timeout: 20_000 });
    await page.getByTestId("token-input").fill(tokens.reader);
    await page.getByTestId("token-save").click();
    // Cluster.Status needs only an authenticated caller: the member shows.
    await page.getByTestId("member-row").first().waitFor({ timeout: 20_000 });
    // Listing every key is refused (the reader may read app/ only), and the page says so.
    await page.getByTestId("nav-keys").click();
    await eventually(
      "the refusal shown",
      async () => ((await page.getByTestId("keys-error").count()) > 0 ? ((await page.getByTestId("keys-error").textContent()) ?? undefined) : undefined),
      20_000,
    ).then((text) => expect(text).toMatch(/permission/i));
  } finally {
    await watched.close();
  }
}, 60_000);
