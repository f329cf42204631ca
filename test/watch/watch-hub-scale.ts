/**
 * Measures the watch hub with many watchers (a benchmark, not a test):
 *   bun test/watch/watch-hub-scale.ts [watchers]
 * Memory per watcher (heap delta after GC) for key, prefix and range
 * watchers, and the time one applied event costs with that many watchers
 * registered (matching one of them, or none).
 */
import type { ChangeEvent, ChangeNotice } from "../../src/fsm/kv-types.ts";
import { WatchHub } from "../../src/service/watch/watch-hub.ts";
import type { WatchSelector } from "../../src/service/watch/watch-selector.ts";
import type { WatchSubscription } from "../../src/service/watch/watch-subscription.ts";
import { FakeChangeSource } from "./fake-change-source.ts";

const count = Number(process.argv[2] ?? 10_000);
const utf8 = new TextEncoder();

function heapUsed(): number {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
}

function selectorFor(kind: WatchSelector["kind"], i: number): WatchSelector {
  const name = `app/service-${String(i).padStart(6, "0")}`;
  switch (kind) {
    case "key":
      return { kind, key: utf8.encode(`${name}/config`) };
    case "prefix":
      return { kind, prefix: utf8.encode(`${name}/`) };
    case "range":
      return { kind, start: utf8.encode(`${name}/a`), end: utf8.encode(`${name}/m`) };
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown kind ${String(unreachable)}`);
    }
  }
}

/** A source whose feed the script drives directly, so only the hub's own work is timed. */
class DrivenSource extends FakeChangeSource {
  listener: ((notice: ChangeNotice) => void) | undefined;
  override onChange(listener: (notice: ChangeNotice) => void): () => void {
    this.listener = listener;
    return () => undefined;
  }
}

function eventFor(key: string, index: number): ChangeEvent {
  return { type: "put", kv: { key: utf8.encode(key), value: utf8.encode("v"), createIndex: index, modIndex: index, version: 1, lease: 0 } };
}

function measure(kind: WatchSelector["kind"]): void {
  const source = new DrivenSource();
  const hub = new WatchHub(source);
  const feed = source.listener;
  if (feed === undefined) throw new Error("the hub did not subscribe");
  const before = heapUsed();
  const subscriptions: WatchSubscription[] = [];
  for (let i = 0; i < count; i++) subscriptions.push(hub.open(selectorFor(kind, i)));
  const perWatcher = (heapUsed() - before) / count;

  const rounds = 100_000;
  const name = (i: number) => `app/service-${String(i % count).padStart(6, "0")}`;
  const matching = Array.from({ length: rounds }, (_, i) => eventFor(kind === "key" ? `${name(i)}/config` : `${name(i)}/b`, i + 1));
  const missing = Array.from({ length: rounds }, (_, i) => eventFor(`other/${i}`, i + 1));
  let started = performance.now();
  for (let i = 0; i < rounds; i++) {
    feed({ kind: "applied", index: i + 1, events: [matching[i] as ChangeEvent] });
    // Consumers keep up: each queue is emptied before it reaches the slow-consumer limit.
    if (i % 5000 === 4999) for (const s of subscriptions) drainQueued(s);
  }
  const matchingUs = ((performance.now() - started) * 1000) / rounds;
  started = performance.now();
  for (let i = 0; i < rounds; i++) feed({ kind: "applied", index: i + 1, events: [missing[i] as ChangeEvent] });
  const missUs = ((performance.now() - started) * 1000) / rounds;
  console.log(
    `${count} ${kind} watchers: ${Math.round(perWatcher)} B heap per watcher; ` +
      `${matchingUs.toFixed(2)} µs per event matching one watcher (incl. draining), ${missUs.toFixed(2)} µs per event matching none`,
  );
  hub.close();
}

/** Takes whatever is queued without waiting, as a consuming stream would. */
function drainQueued(subscription: WatchSubscription): void {
  const never = new AbortController();
  never.abort();
  void subscription.next(0, never.signal);
}

for (const kind of ["key", "prefix", "range"] as const) measure(kind);

// Fan-out: every watcher on one prefix, one event reaching all of them.
{
  const source = new DrivenSource();
  const hub = new WatchHub(source);
  const feed = source.listener;
  if (feed === undefined) throw new Error("the hub did not subscribe");
  const subscriptions = Array.from({ length: count }, () => hub.open({ kind: "prefix", prefix: utf8.encode("shared/") }));
  const rounds = 50;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    feed({ kind: "applied", index: i + 1, events: [eventFor(`shared/${i}`, i + 1)] });
    for (const s of subscriptions) drainQueued(s);
  }
  const perDelivery = ((performance.now() - started) * 1000) / (rounds * count);
  console.log(`${count} watchers on one prefix: ${perDelivery.toFixed(3)} µs per delivered event (one event → ${count} queues, drained)`);
  hub.close();
}
