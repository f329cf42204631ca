import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Locator, Page } from "playwright-core";
import { ProxiedCluster } from "../cluster/proxied-cluster.ts";
import type { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";
import { launchChromium, WatchedPage } from "./console/browser-session.ts";

// The console served by a follower of a real 3-node cluster (`raftkv serve`
// processes), driven in Debian's Chromium. Every member lists `*` so that
// the page (on one member's origin) can ask each member for its own Status.

const utf8 = new TextEncoder();
const text = new TextDecoder();

let cluster: ProxiedCluster | undefined;
let browser: Browser | undefined;
let watched: WatchedPage | undefined;
let serving: ServeProcess | undefined;

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not set up`);
  return value;
}

function page(): Page {
  return need(watched, "the page").page;
}

beforeAll(async () => {
  // Timings a little slower than the cluster suite's (fastRaftFlags): this box is shared, and a
  // spontaneous election in the middle would move the leader under a click.
  cluster = await ProxiedCluster.start({ size: 3, flags: [...fastRaftArgs, "--cors-allowed-origins", "*"] });
  const leader = await cluster.awaitLeader();
  serving = cluster.follower(leader.id);
  browser = await launchChromium();
  watched = await WatchedPage.open(browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** What the cluster itself says, over gRPC: the leader every node agrees on. */
async function leaderId(): Promise<string> {
  return (await need(cluster, "the cluster").awaitLeader()).id;
}

async function storedValue(key: string): Promise<string | undefined> {
  const leader = await need(cluster, "the cluster").awaitLeader();
  const answer = await leader.client().get({ key: utf8.encode(key) }, { timeoutMs: 5000 });
  return answer.found ? text.decode(answer.kv?.value) : undefined;
}

async function textOf(locator: Locator): Promise<string> {
  return (await locator.textContent({ timeout: 15_000 })) ?? "";
}

async function waitForText(locator: Locator, expected: string | RegExp, what: string): Promise<string> {
  let seen = "";
  try {
    return await eventually(
      what,
      async () => {
        seen = (await locator.count()) === 0 ? "(absent)" : await textOf(locator);
        return (typeof expected === "string" ? seen.includes(expected) : expected.test(seen)) ? seen : undefined;
      },
      20_000,
    );
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen: ${JSON.stringify(seen)}`, { cause: error });
  }
}

function memberRow(id: string): Locator {
  return page().locator(`[data-testid="member-row"][data-member="${id}"]`);
}

/** The page stayed clean: no console or page errors, nothing fetched from off this machine. */
function expectCleanPage(): void {
  const current = need(watched, "the page");
  expect(current.errors).toEqual([]);
  expect(current.offLoopback).toEqual([]);
}

test("the cluster view, served by a follower, shows three members, one leader and every member's own figures", async () => {
  const node = need(serving, "the serving node");
  await page().goto(`http://${node.endpoint}/`);
  await page().getByTestId("member-row").nth(2).waitFor({ timeout: 20_000 });
  expect(await page().getByTestId("member-row").count()).toBe(3);
  const leader = await leaderId();
  await eventually("the leader highlighted", async () => ((await memberRow(leader).getAttribute("data-leader")) === "true" ? true : undefined), 20_000);
  expect(await page().locator('[data-testid="member-row"][data-leader="true"]').count()).toBe(1);
  await waitForText(page().getByTestId("leader-id"), leader, "the summary naming the leader");
  await waitForText(page().getByTestId("serving-node"), "follower", "the header naming this node a follower");
  // Each member answered the page for itself (CORS on every member): no "not reachable" note, a term on every row.
  await eventually("every member's own Status", async () => ((await page().getByTestId("member-unreachable").count()) === 0 ? true : undefined), 20_000);
  for (const id of ["n1", "n2", "n3"]) expect(await textOf(memberRow(id))).toMatch(/voter/);
  // The chart fills in from the serving node's polls: some steady writes make a line.
  const writer = need(cluster, "the cluster").node(leader).client();
  // Reads go to the serving node: the chart's reads/s is that node's own count.
  const reader = need(cluster, "the cluster").node(node.id).client();
  const until = performance.now() + 6_000;
  for (let i = 0; performance.now() < until; i++) {
    await writer.put({ key: utf8.encode(`load/${i % 20}`), value: utf8.encode(`value ${i}`) });
    await reader.get({ key: utf8.encode(`load/${i % 20}`) });
    await Bun.sleep(15);
  }
  await waitForText(page().getByTestId("chart-writes"), /peak [1-9]/, "a write rate on the chart");
  await waitForText(page().getByTestId("chart-commit-value"), /^[1-9][\d,]*$/, "the commit index on the chart");
  await waitForText(page().getByTestId("chart-reads"), /peak [1-9]/, "a read rate on the chart");
  // Each member's database size against its quota (8 GiB by default) and its fsync p99, from its own Status.
  for (const id of ["n1", "n2", "n3"]) {
    await waitForText(memberRow(id).getByTestId("member-db"), /^[\d.]+ [KMG]i?B \/ 8(\.0)? GiB/, `${id}'s database size against the quota`);
    await waitForText(memberRow(id).getByTestId("member-fsync"), /^[\d.]+ ?ms$/, `${id}'s fsync p99`);
  }
  await need(watched, "the page").screenshot("cluster");
  expectCleanPage();
}, 60_000);

test("a key put through the UI (on a follower) is read back over gRPC; JSON is validated and formatted before it is saved", async () => {
  // Some keys for the tree to show.
  const seed = need(cluster, "the cluster").nodes[0]?.client();
  const seeded: Record<string, string> = {
    "app/api/image": "registry.local/api:1.4.2",
    "app/api/replicas": "3",
    "app/db/url": "postgres://db.internal:5432/app",
    "app/feature-flags/dark-mode": "true",
    "services/web.yaml": "name: web\nport: 8080\nreplicas: 2\n",
  };
  for (const [key, value] of Object.entries(seeded)) await seed?.put({ key: utf8.encode(key), value: utf8.encode(value) });
  await page().getByTestId("nav-keys").click();
  await page().getByTestId("new-key").click();
  await page().getByTestId("new-key-name").fill("console/greeting");
  await page().getByTestId("editor-text").fill("hello from the console");
  await page().getByTestId("editor-save").click();
  await waitForText(page().getByTestId("key-value"), "hello from the console", "the created key shown");
  expect(await storedValue("console/greeting")).toBe("hello from the console");

  await page().getByTestId("new-key").click();
  await page().getByTestId("new-key-name").fill("console/config.json");
  await page().getByTestId("editor-format").selectOption("json");
  await page().getByTestId("editor-text").fill('{"service": "api", "replicas": 3, "ports": [80, 443]');
  await page().getByTestId("editor-save").click();
  await waitForText(page().getByTestId("editor-status"), "invalid JSON", "the JSON error");
  expect(await storedValue("console/config.json")).toBeUndefined();
  await page().getByTestId("editor-text").fill('{"service": "api", "replicas": 3, "ports": [80, 443], "limits": {"cpu": "500m"}}');
  await page().getByTestId("editor-format-button").click();
  const formatted = await page().getByTestId("editor-text").inputValue();
  expect(formatted).toBe(`${JSON.stringify({ service: "api", replicas: 3, ports: [80, 443], limits: { cpu: "500m" } }, null, 2)}\n`);
  await page().getByTestId("editor-save").click();
  await waitForText(page().getByTestId("key-value"), '"replicas": 3', "the JSON value shown pretty-printed");
  expect(await storedValue("console/config.json")).toBe(formatted);

  // YAML is checked too (and nothing is saved while it does not parse).
  await page().getByTestId("edit-key").click();
  await page().getByTestId("editor-format").selectOption("yaml");
  await page().getByTestId("editor-text").fill("service: api\nports: [80, 443\n");
  await page().getByTestId("editor-validate").click();
  await waitForText(page().getByTestId("editor-status"), "invalid YAML", "the YAML error");
  await page().getByText("Cancel").click();
  await page().getByTestId("view-json").click();
  // The load of the first test, folded away.
  await page().locator('[data-testid="tree-folder"][data-path="load/"]').click();
  await need(watched, "the page").screenshot("keys");
  expectCleanPage();
}, 60_000);

test("an edit of a key that changed meanwhile is refused and shown as a conflict, never written over", async () => {
  await page().locator('[data-testid="tree-key"][data-key="console/greeting"]').click();
  const modIndex = BigInt(await textOf(page().getByTestId("key-mod-index")));
  const leader = await need(cluster, "the cluster").awaitLeader();
  const elsewhere = await leader.client().put({ key: utf8.encode("console/greeting"), value: utf8.encode("changed elsewhere") });
  expect(elsewhere.index).toBeGreaterThan(modIndex);

  await page().getByTestId("edit-key").click();
  await page().getByTestId("editor-text").fill("my edit, based on an old read");
  await page().getByTestId("editor-save").click();
  const conflict = await waitForText(page().getByTestId("write-conflict"), "Conflict: nothing was written", "the conflict");
  expect(conflict).toContain(`at mod index ${elsewhere.index}`);
  expect(await storedValue("console/greeting")).toBe("changed elsewhere");
  await need(watched, "the page").screenshot("keys-conflict");
  await page().getByTestId("conflict-reload").click();
  await waitForText(page().getByTestId("key-value"), "changed elsewhere", "the current value after the conflict");
  expectCleanPage();
}, 60_000);

test("a key's history shows its versions with a diff, and a rollback writes an old value back", async () => {
  const leader = await need(cluster, "the cluster").awaitLeader();
  const rest = await fetch(`http://${leader.endpoint}/v1/kv/console%2Fgreeting`, { method: "PUT", body: "third version" });
  expect(rest.status).toBe(200);
  // Open the key afresh so it is read after that write.
  await page().locator('[data-testid="tree-key"][data-key="console/config.json"]').click();
  await page().locator('[data-testid="tree-key"][data-key="console/greeting"]').click();
  await waitForText(page().getByTestId("key-value"), "third version", "the key read afresh");
  await page().getByTestId("show-history").click();
  await eventually("three versions", async () => ((await page().getByTestId("history-version").count()) >= 3 ? true : undefined), 20_000);
  const versions = page().getByTestId("history-version");
  expect(await textOf(versions.nth(0))).toContain("hello from the console");
  await versions.nth(1).click();
  const diff = await waitForText(page().getByTestId("history-diff"), "changed elsewhere", "the diff of version 2 against version 1");
  expect(diff).toContain("hello from the console");
  await versions.nth(0).click();
  await need(watched, "the page").screenshot("history");
  await page().getByTestId("rollback").click();
  await page().getByTestId("confirm-ok").click();
  await waitForText(page().getByTestId("key-outcome"), "rolled back", "the rollback's outcome");
  expect(await storedValue("console/greeting")).toBe("hello from the console");
  expectCleanPage();
}, 60_000);

test("the tree lists a prefix a page at a time", async () => {
  const leader = await need(cluster, "the cluster").awaitLeader();
  const keys = Array.from({ length: 120 }, (_, i) => utf8.encode(`paged/${String(i).padStart(3, "0")}`));
  await leader.client().txn({ success: keys.map((key) => ({ op: { case: "put" as const, value: { key, value: utf8.encode("v") } } })) });
  await page().getByTestId("key-prefix").fill("paged/");
  await waitForText(page().getByTestId("key-count"), "100 of 120 keys under paged/", "the first page");
  expect(await page().getByTestId("tree-key").count()).toBe(100);
  await page().getByTestId("load-more").click();
  await waitForText(page().getByTestId("key-count"), "120 of 120 keys under paged/", "the second page");
  expect(await page().getByTestId("tree-key").count()).toBe(120);
  expect(await page().getByTestId("load-more").count()).toBe(0);
  expectCleanPage();
}, 60_000);

test("a prefix exports to a JSON file, and such a file imports (after a confirmation) as keys in the store", async () => {
  await page().getByTestId("key-prefix").fill("app/");
  await waitForText(page().getByTestId("key-count"), "4 of 4 keys under app/", "the listing under app/");
  const downloading = page().waitForEvent("download", { timeout: 15_000 });
  await page().getByTestId("export-prefix").click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("raftkv-export-app_.json");
  const exported = JSON.parse(await Bun.file(await download.path()).text()) as { prefix: string; kvs: { key: string; value: string }[] };
  expect(exported.prefix).toBe("app/");
  expect(exported.kvs.map((kv) => kv.key)).toEqual(["app/api/image", "app/api/replicas", "app/db/url", "app/feature-flags/dark-mode"]);

  const copied = { ...exported, kvs: exported.kvs.map((kv) => ({ ...kv, key: kv.key.replace(/^app\//, "imported/") })) };
  await page()
    .getByTestId("import-file")
    .setInputFiles({ name: "copy.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(copied)) });
  await waitForText(page().getByTestId("confirm-dialog"), "Writes 4 keys", "the import confirmation");
  await page().getByTestId("confirm-ok").click();
  await waitForText(page().getByTestId("transfer-outcome"), "imported 4 keys", "the import's outcome");
  expect(await storedValue("imported/api/image")).toBe("registry.local/api:1.4.2");
  expect(await storedValue("imported/db/url")).toBe("postgres://db.internal:5432/app");
  await page().getByTestId("key-prefix").fill("");
  expectCleanPage();
}, 60_000);

test("the watch pane shows a change made with curl/fetch on another node, live", async () => {
  await page().getByTestId("nav-watch").click();
  await page().getByTestId("watch-prefix").fill("live/");
  await page().getByTestId("watch-start").click();
  await waitForText(page().getByTestId("watch-state"), "watching live", "the watch to open");
  const leader = await need(cluster, "the cluster").awaitLeader();
  const put = await fetch(`http://${leader.endpoint}/v1/kv/live%2Fsignal`, { method: "PUT", body: "sent with fetch" });
  expect(put.status).toBe(200);
  await waitForText(page().locator('[data-testid="watch-event"][data-key="live/signal"]'), "sent with fetch", "the put in the watch pane");
  await fetch(`http://${leader.endpoint}/v1/kv/live%2Fsignal`, { method: "DELETE" });
  await eventually("the delete in the watch pane", async () => ((await page().getByText("DELETE", { exact: true }).count()) === 1 ? true : undefined), 20_000);
  // Not a prefix match: never shown.
  await fetch(`http://${leader.endpoint}/v1/kv/elsewhere`, { method: "PUT", body: "x" });
  await need(watched, "the page").screenshot("watch");
  expect(await page().locator('[data-testid="watch-event"][data-key="elsewhere"]').count()).toBe(0);
  await page().getByTestId("watch-stop").click();
  expectCleanPage();
}, 60_000);

test("leadership transferred from the UI moves, and admin errors come back as the server's words", async () => {
  await page().getByTestId("nav-cluster").click();
  await page().getByTestId("member-row").nth(2).waitFor({ timeout: 20_000 });
  const before = await leaderId();
  const node = need(serving, "the serving node");
  const target = ["n1", "n2", "n3"].find((id) => id !== before && id !== node.id) ?? "";
  await eventually("the current leader on the page", async () => ((await memberRow(before).getAttribute("data-leader")) === "true" ? true : undefined), 20_000);
  await memberRow(target).getByTestId("make-leader").click();
  await waitForText(page().getByTestId("confirm-dialog"), `Make ${target} the leader`, "the confirmation");
  await page().getByTestId("confirm-ok").click();
  await waitForText(page().getByTestId("admin-outcome"), `${target} leads now`, "the transfer's answer");
  await eventually("the new leader highlighted", async () => ((await memberRow(target).getAttribute("data-leader")) === "true" ? true : undefined), 20_000);
  expect(await leaderId()).toBe(target);

  // A request the server refuses: its error, code and message, is what the operator sees.
  await page().locator('[data-testid="add-member-form"] input').nth(0).fill("n9");
  await page().locator('[data-testid="add-member-form"] input').nth(1).fill("not-an-address");
  await page().getByText("Add member…").click();
  await page().getByTestId("confirm-ok").click();
  await waitForText(page().getByTestId("admin-outcome"), "invalid_argument: raft_address", "the server's refusal");

  await memberRow(node.id).getByTestId("snapshot").click();
  await page().getByTestId("confirm-ok").click();
  await waitForText(page().getByTestId("admin-outcome"), `snapshot on ${node.id} covers index`, "the snapshot's answer");
  await need(watched, "the page").screenshot("cluster-after-transfer");
  expectCleanPage();
}, 90_000);

test("a token entered in the console is sent as a bearer token, and is a no-op on a node without authentication", async () => {
  const sent: (string | undefined)[] = [];
  const record = (request: { url(): string; headers(): Record<string, string> }): void => {
    if (new URL(request.url()).pathname.startsWith("/raftkv.v1.")) sent.push(request.headers().authorization);
  };
  page().on("request", record);
  try {
    expect(await textOf(page().getByTestId("token-button"))).toBe("Token…");
    await page().getByTestId("token-button").click();
    await page().getByTestId("token-input").fill("console-test-token");
    await page().getByTestId("token-save").click();
    await waitForText(page().getByTestId("token-button"), "Token ✓", "the token taken");
    sent.length = 0;
    await eventually("calls with the token", async () => (sent.length >= 2 ? true : undefined), 20_000);
    expect(new Set(sent)).toEqual(new Set(["Bearer console-test-token"]));
    // Auth is off on this node: it answers as before.
    expect(await page().getByTestId("member-row").count()).toBe(3);
    expect(await page().getByTestId("banner-connection").count()).toBe(0);
    await page().getByTestId("token-button").click();
    await page().getByTestId("token-input").fill("");
    await page().getByTestId("token-save").click();
    sent.length = 0;
    await eventually("calls without a token", async () => (sent.length >= 2 ? true : undefined), 20_000);
    expect(new Set(sent)).toEqual(new Set([undefined]));
  } finally {
    page().off("request", record);
  }
  expectCleanPage();
}, 60_000);

test("a banner says when the node loses its quorum or stops answering, and goes once things are back", async () => {
  const current = need(cluster, "the cluster");
  const node = need(serving, "the serving node");
  // A page of its own: a refused connection is logged by the browser, as it should be, and must not count against the pages above.
  const banners = await WatchedPage.open(need(browser, "the browser"));
  try {
    await banners.page.goto(`http://${node.endpoint}/`);
    await banners.page.getByTestId("member-row").nth(2).waitFor({ timeout: 20_000 });

    current.isolate(node.id);
    await waitForText(banners.page.getByTestId("banner-quorum"), "No leader", "the no-leader banner");
    await banners.screenshot("banner-no-quorum");
    current.heal();
    await eventually("the no-leader banner gone", async () => ((await banners.page.getByTestId("banner-quorum").count()) === 0 ? true : undefined), 30_000);

    await node.kill();
    await waitForText(banners.page.getByTestId("banner-connection"), "Connection to the node lost", "the connection banner");
    await banners.screenshot("banner-connection");
    await node.start();
    await eventually(
      "the connection banner gone",
      async () => ((await banners.page.getByTestId("banner-connection").count()) === 0 ? true : undefined),
      30_000,
    );
    await banners.page.getByTestId("member-row").nth(2).waitFor({ timeout: 20_000 });
    expect(banners.errors.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|Failed to fetch/.test(e))).toEqual([]);
    expect(banners.offLoopback).toEqual([]);
  } finally {
    await banners.close();
  }
}, 120_000);
