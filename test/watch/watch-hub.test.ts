import { expect, test } from "bun:test";
import { WatchHub } from "../../src/service/watch/watch-hub.ts";
import type { WatchItem } from "../../src/service/watch/watch-item.ts";
import type { WatchSelector } from "../../src/service/watch/watch-selector.ts";
import type { WatchSubscription } from "../../src/service/watch/watch-subscription.ts";
import { FakeChangeSource } from "./fake-change-source.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Everything queued right now, without waiting. */
async function drain(subscription: WatchSubscription): Promise<WatchItem[]> {
  const items: WatchItem[] = [];
  const stop = new AbortController();
  for (;;) {
    const pending = subscription.next(60_000, stop.signal);
    const item = await Promise.race([pending, Bun.sleep(5).then(() => "idle" as const)]);
    if (item === "idle") {
      stop.abort();
      await pending;
      return items;
    }
    if (item === undefined) return items;
    items.push(item);
  }
}

function keysOf(items: readonly WatchItem[]): string[] {
  return items.flatMap((item) => (item.kind === "events" ? item.events.map((e) => `${e.type}:${text(e.kv.key)}@${e.kv.modIndex}`) : []));
}

test("each watcher gets exactly the events its key, prefix or range selects, one item per applied batch", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  const open = (selector: WatchSelector) => hub.open(selector);
  const exact = open({ kind: "key", key: bytes("a/1") });
  const prefix = open({ kind: "prefix", prefix: bytes("a/") });
  const everything = open({ kind: "prefix", prefix: new Uint8Array(0) });
  const range = open({ kind: "range", start: bytes("b"), end: bytes("c") });
  const openRange = open({ kind: "range", start: bytes("b/5"), end: undefined });

  source.apply([
    ["a/1", "x"],
    ["a/2", "y"],
    ["b/1", "z"],
    ["c", "w"],
    ["ab", "v"],
  ]);
  source.apply([
    ["a/1", null],
    ["b/9", "q"],
  ]);

  expect(keysOf(await drain(exact))).toEqual(["put:a/1@1", "delete:a/1@6"]);
  expect(keysOf(await drain(prefix))).toEqual(["put:a/1@1", "put:a/2@2", "delete:a/1@6"]);
  expect(keysOf(await drain(everything))).toHaveLength(7);
  expect(keysOf(await drain(range))).toEqual(["put:b/1@3", "put:b/9@7"]);
  expect(keysOf(await drain(openRange))).toEqual(["put:c@4", "put:b/9@7"]);

  source.apply([["zzz", "1"]]);
  const batch = await drain(everything);
  expect(batch).toEqual([{ kind: "events", index: 8, events: [expect.objectContaining({ type: "put" })] }]);
  expect(hub.size).toBe(5);
});

test("a closed watcher leaves every index and gets nothing more", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  const watchers = [
    hub.open({ kind: "key", key: bytes("k") }),
    hub.open({ kind: "prefix", prefix: bytes("k") }),
    hub.open({ kind: "range", start: bytes("a"), end: bytes("z") }),
  ];
  for (const w of watchers) w.close();
  expect(hub.size).toBe(0);
  source.apply([["k", "v"]]);
  for (const w of watchers) expect(await drain(w)).toEqual([]);
});

test("a consumer that falls behind is cut off with the backlog in the reason, and leaves the hub", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source, { maxPendingEvents: 5 });
  const slow = hub.open({ kind: "prefix", prefix: bytes("") });
  const other = hub.open({ kind: "key", key: bytes("elsewhere") });
  for (let i = 0; i < 6; i++) source.apply([[`k${i}`, "v"]]);
  expect(hub.size).toBe(1);
  expect(await drain(slow)).toEqual([{ kind: "canceled", reason: "slow consumer: 6 events pending, limit 5" }]);
  expect(slow.ended).toBe(true);
  expect(other.ended).toBe(false);
});

test("a restore abandons every watcher after the events queued before it; close cancels the rest", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  const a = hub.open({ kind: "key", key: bytes("a") });
  source.apply([["a", "1"]]);
  source.restore(40);
  expect(await drain(a)).toEqual([
    { kind: "events", index: 1, events: [expect.objectContaining({ type: "put" })] },
    { kind: "abandoned", restoredIndex: 40 },
  ]);
  const b = hub.open({ kind: "key", key: bytes("b") });
  expect(b.liveFrom).toBe(40);
  hub.close();
  expect(await drain(b)).toEqual([{ kind: "canceled", reason: "server is shutting down" }]);
  expect(hub.size).toBe(0);
  expect(source.listenerCount).toBe(0);
  expect(hub.open({ kind: "key", key: bytes("c") }).ended).toBe(true);
});

test("progress is queued behind delivered events, on request and when idle", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  const w = hub.open({ kind: "key", key: bytes("a") });
  source.apply([
    ["a", "1"],
    ["b", "2"],
  ]);
  expect(hub.requestProgress(w.id)).toBe(true);
  expect(hub.requestProgress("no-such-watch")).toBe(false);
  expect(await drain(w)).toEqual([
    { kind: "events", index: 2, events: [expect.objectContaining({ type: "put" })] },
    { kind: "progress", index: 2 },
  ]);
  source.apply([["c", "3"]]);
  const stop = new AbortController();
  expect(await w.next(20, stop.signal)).toEqual({ kind: "progress", index: 3 });
  stop.abort();
  expect(await w.next(60_000, stop.signal)).toBeUndefined();
});
