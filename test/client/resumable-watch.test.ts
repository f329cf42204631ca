import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { RaftkvClient } from "../../src/client/raftkv-client.ts";
import type { WatchUpdate } from "../../src/client/watch-update.ts";
import {
  EventSchema,
  EventType,
  KeyValueSchema,
  RangeResponseSchema,
  type WatchRequest,
  type WatchResponse,
  WatchResponseSchema,
} from "../../src/gen/raftkv/v1/kv_pb.ts";
import { FakeNodes, header } from "./fake-nodes.ts";

const fastRetry = { timeoutMs: 2_000, attemptTimeoutMs: 1_000, initialBackoffMs: 5, maxBackoffMs: 20 };

function put(index: bigint, key = "p/k"): WatchResponse {
  const kv = create(KeyValueSchema, { key: new TextEncoder().encode(key), value: new TextEncoder().encode(`v${index}`), modIndex: index });
  return create(WatchResponseSchema, {
    header: header("x", "x", index),
    kind: { case: "events", value: { events: [create(EventSchema, { type: EventType.PUT, kv })] } },
  });
}

function created(startIndex: bigint): WatchResponse {
  return create(WatchResponseSchema, { header: header("x", "x", startIndex), kind: { case: "created", value: { watchId: "w1", startIndex } } });
}

function progress(index: bigint): WatchResponse {
  return create(WatchResponseSchema, { kind: { case: "progress", value: { index } } });
}

/** A watch handler that records each request, sends `responses` and then fails (or ends). */
function streaming(requests: WatchRequest[], responses: WatchResponse[], then: ConnectError | "end" | "hang") {
  return async function* (request: WatchRequest, context: { signal: AbortSignal }): AsyncGenerator<WatchResponse> {
    requests.push(request);
    for (const response of responses) yield response;
    if (then === "end") return;
    if (then === "hang") {
      await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve(), { once: true }));
      return;
    }
    throw then;
  };
}

async function collect(updates: AsyncIterable<WatchUpdate>, until: (seen: WatchUpdate[]) => boolean): Promise<WatchUpdate[]> {
  const seen: WatchUpdate[] = [];
  for await (const update of updates) {
    seen.push(update);
    if (until(seen)) break;
  }
  return seen;
}

function eventIndexes(updates: readonly WatchUpdate[]): bigint[] {
  return updates.flatMap((u) => (u.kind === "events" ? u.events.map((e) => e.kv?.modIndex ?? -1n) : []));
}

describe("resumable watch", () => {
  test("after a broken stream it resumes on the next endpoint from the last index, dropping repeats", async () => {
    const onA: WatchRequest[] = [];
    const onB: WatchRequest[] = [];
    const nodes = new FakeNodes()
      .define("a:1", { kv: { watch: streaming(onA, [created(5n), put(5n), put(6n)], new ConnectError("node went away", Code.Unavailable)) } })
      .define("b:1", { kv: { watch: streaming(onB, [created(7n), put(6n), put(7n), put(8n)], "hang") } });
    const client = new RaftkvClient({ endpoints: ["a:1", "b:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("p/"), prefix: true }), (seen) => eventIndexes(seen).includes(8n));
    expect(eventIndexes(updates)).toEqual([5n, 6n, 7n, 8n]);
    expect(onA[0]?.startIndex).toBe(0n);
    // From 6 itself: its events might have been split over messages.
    expect(onB[0]?.startIndex).toBe(6n);
    expect(onB[0]?.prefix).toBe(true);
    const reconnect = updates.find((u) => u.kind === "reconnecting");
    expect(reconnect?.kind === "reconnecting" && reconnect.resumeIndex).toBe(6n);
  });

  test("an index whose events were split over messages is completed after a reconnect, without repeats", async () => {
    const onA: WatchRequest[] = [];
    const onB: WatchRequest[] = [];
    const nodes = new FakeNodes()
      .define("a:1", { kv: { watch: streaming(onA, [created(5n), put(5n, "p/a")], new ConnectError("reset", Code.Unavailable)) } })
      .define("b:1", { kv: { watch: streaming(onB, [created(5n), put(5n, "p/a"), put(5n, "p/b"), put(6n, "p/a")], "hang") } });
    const client = new RaftkvClient({ endpoints: ["a:1", "b:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("p/"), prefix: true, startIndex: 5n }), (seen) =>
      eventIndexes(seen).includes(6n),
    );
    const delivered = updates.flatMap((u) => (u.kind === "events" ? u.events.map((e) => `${e.kv?.modIndex}:${new TextDecoder().decode(e.kv?.key)}`) : []));
    expect(delivered).toEqual(["5:p/a", "5:p/b", "6:p/a"]);
    expect(onB[0]?.startIndex).toBe(5n);
  });

  test("a progress mark moves the resume point even without events", async () => {
    const onA: WatchRequest[] = [];
    const onB: WatchRequest[] = [];
    const nodes = new FakeNodes()
      .define("a:1", { kv: { watch: streaming(onA, [created(3n), progress(41n)], new ConnectError("reset", Code.Unavailable)) } })
      .define("b:1", { kv: { watch: streaming(onB, [created(42n), put(42n)], "hang") } });
    const client = new RaftkvClient({ endpoints: ["a:1", "b:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("p/k"), startIndex: 3n }), (seen) => eventIndexes(seen).length > 0);
    expect(onA[0]?.startIndex).toBe(3n);
    expect(onB[0]?.startIndex).toBe(42n);
    expect(eventIndexes(updates)).toEqual([42n]);
  });

  test("failing over to a lagging node neither takes progress back nor repeats events", async () => {
    const onA: WatchRequest[] = [];
    const onB: WatchRequest[] = [];
    // b has applied only up to 5: it reports that, then catches up (and, misbehaving, sends an old event again).
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: { watch: streaming(onA, [created(5n), put(5n), put(6n), put(7n), put(8n), progress(8n)], new ConnectError("node went away", Code.Unavailable)) },
      })
      .define("b:1", { kv: { watch: streaming(onB, [created(9n), progress(5n), put(7n), progress(8n), put(9n), progress(9n)], "hang") } });
    const client = new RaftkvClient({ endpoints: ["a:1", "b:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("p/k"), startIndex: 5n }), (seen) =>
      seen.some((u) => u.kind === "progress" && u.index === 9n),
    );
    expect(onB[0]?.startIndex).toBe(9n);
    expect(eventIndexes(updates)).toEqual([5n, 6n, 7n, 8n, 9n]);
    const reported = updates.flatMap((u) => (u.kind === "events" || u.kind === "progress" ? [`${u.kind}:${u.index}`] : []));
    expect(reported).toEqual(["events:5", "events:6", "events:7", "events:8", "progress:8", "progress:8", "events:9", "progress:9"]);
  });

  test("a progress mark below the watch's start is not handed over", async () => {
    const requests: WatchRequest[] = [];
    const nodes = new FakeNodes().define("a:1", { kv: { watch: streaming(requests, [created(20n), progress(12n), progress(19n), put(20n)], "hang") } });
    const client = new RaftkvClient({ endpoints: ["a:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("p/k"), startIndex: 20n }), (seen) => eventIndexes(seen).length > 0);
    expect(updates.map((u) => (u.kind === "progress" || u.kind === "events" ? `${u.kind}:${u.index}` : u.kind))).toEqual([
      "connected",
      "progress:19",
      "events:20",
    ]);
  });

  test("a server that ends the stream without a final word is resumed too", async () => {
    const onA: WatchRequest[] = [];
    const nodes = new FakeNodes().define("a:1", {
      kv: {
        watch: async function* (request: WatchRequest) {
          onA.push(request);
          if (onA.length === 1) {
            yield created(1n);
            yield put(1n);
            return;
          }
          yield put(1n);
          yield put(2n);
          await Bun.sleep(5_000);
        },
      },
    });
    const client = new RaftkvClient({ endpoints: ["a:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("p/k"), startIndex: 1n }), (seen) => eventIndexes(seen).includes(2n));
    expect(eventIndexes(updates)).toEqual([1n, 2n]);
    expect(onA.map((r) => r.startIndex)).toEqual([1n, 1n]);
  });

  test("compacted is handed to the caller and ends the watch", async () => {
    const requests: WatchRequest[] = [];
    const compacted = create(WatchResponseSchema, { kind: { case: "compacted", value: { compactIndex: 90n } } });
    const nodes = new FakeNodes().define("a:1", { kv: { watch: streaming(requests, [compacted], "end") } });
    const client = new RaftkvClient({ endpoints: ["a:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("k"), startIndex: 2n }), () => false);
    expect(updates).toEqual([{ kind: "compacted", compactIndex: 90n }]);
    expect(requests).toHaveLength(1);
  });

  test("with resync, abandoned leads to a fresh read and a watch from just after it", async () => {
    const requests: WatchRequest[] = [];
    const abandoned = create(WatchResponseSchema, { kind: { case: "abandoned", value: { restoredIndex: 50n } } });
    const kv = create(KeyValueSchema, { key: new TextEncoder().encode("p/a"), value: new TextEncoder().encode("x"), modIndex: 48n });
    const nodes = new FakeNodes().define("a:1", {
      kv: {
        watch: async function* (request: WatchRequest) {
          requests.push(request);
          if (requests.length === 1) {
            yield created(1n);
            yield abandoned;
            return;
          }
          yield created(request.startIndex);
          yield put(61n, "p/b");
          await Bun.sleep(5_000);
        },
        range: (request) => create(RangeResponseSchema, { header: header("a", "a", 60n), kvs: request.prefix.length > 0 ? [kv] : [] }),
      },
    });
    const client = new RaftkvClient({ endpoints: ["a:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(
      client.watch({ key: new TextEncoder().encode("p/"), prefix: true, startIndex: 1n }, { resync: true }),
      (seen) => eventIndexes(seen).length > 0,
    );
    expect(updates.map((u) => u.kind)).toEqual(["connected", "abandoned", "resynced", "connected", "events"]);
    const resynced = updates[2];
    expect(resynced?.kind === "resynced" ? [resynced.index, resynced.kvs.length] : undefined).toEqual([60n, 1]);
    expect(requests.map((r) => r.startIndex)).toEqual([1n, 61n]);
  });

  test("a request the server rejects is thrown, not retried", async () => {
    const requests: WatchRequest[] = [];
    const nodes = new FakeNodes().define("a:1", { kv: { watch: streaming(requests, [], new ConnectError("key: too long", Code.InvalidArgument)) } });
    const client = new RaftkvClient({ endpoints: ["a:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const failure = await collect(client.watch({ key: new TextEncoder().encode("k") }), () => false).catch((e: unknown) => e);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect(requests).toHaveLength(1);
  });

  test("reconnectTimeoutMs gives up when no endpoint serves the watch", async () => {
    const requests: WatchRequest[] = [];
    const nodes = new FakeNodes().define("a:1", { kv: { watch: streaming(requests, [], new ConnectError("down", Code.Unavailable)) } });
    const client = new RaftkvClient({ endpoints: ["a:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const failure = await collect(client.watch({ key: new TextEncoder().encode("k") }, { reconnectTimeoutMs: 100 }), () => false).catch((e: unknown) => e);
    expect((failure as ConnectError).code).toBe(Code.Unavailable);
    expect(requests.length).toBeGreaterThan(1);
  });
  test("a stream that goes silent (a frozen node) is given up after idleTimeoutMs and resumed elsewhere", async () => {
    const onA: WatchRequest[] = [];
    const onB: WatchRequest[] = [];
    const nodes = new FakeNodes()
      .define("a:1", { kv: { watch: streaming(onA, [created(4n), put(4n)], "hang") } })
      .define("b:1", { kv: { watch: streaming(onB, [created(4n), put(4n), put(5n)], "hang") } });
    const client = new RaftkvClient({ endpoints: ["a:1", "b:1"], transport: nodes.transport, retry: fastRetry, discoverMembers: false });
    const updates = await collect(client.watch({ key: new TextEncoder().encode("p/k"), startIndex: 4n }, { idleTimeoutMs: 100 }), (seen) =>
      eventIndexes(seen).includes(5n),
    );
    expect(eventIndexes(updates)).toEqual([4n, 5n]);
    const reconnect = updates.find((u) => u.kind === "reconnecting");
    expect(reconnect?.kind === "reconnecting" ? reconnect.error.rawMessage : "").toContain("silent for 100 ms");
    expect(onB[0]?.startIndex).toBe(4n);
  });
});
