import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { ResponseHeaderSchema, WatchRequestSchema, type WatchResponse } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { defaultLimits } from "../../src/service/limits.ts";
import { keyValueOf } from "../../src/service/response-messages.ts";
import { WatchHub } from "../../src/service/watch/watch-hub.ts";
import { WatchResponses } from "../../src/service/watch/watch-response.ts";
import { type WatchStreamOptions, watchStream } from "../../src/service/watch/watch-stream.ts";
import { FakeChangeSource } from "./fake-change-source.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function optionsFor(hub: WatchHub): WatchStreamOptions {
  return {
    hub,
    responses: new WatchResponses(
      (index) => create(ResponseHeaderSchema, { index: BigInt(index) }),
      (kv) => keyValueOf(kv),
    ),
    limits: defaultLimits,
    defaultProgressIntervalMs: 60_000,
    replayPageSize: 3,
  };
}

function eventIndexes(message: WatchResponse): number[] {
  return message.kind.case === "events" ? message.kind.value.events.map((e) => Number(e.kv?.modIndex)) : [];
}

test("replay from a past index joins the live feed with no gap and no duplicate while writes keep landing", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  const expected: number[] = [];
  const write = (n: number): void => {
    // Two keys per batch, one inside the prefix.
    const before = source.appliedIndex();
    source.apply([
      [`p/${n}`, String(n)],
      [`q/${n}`, String(n)],
    ]);
    expected.push(before + 1);
  };
  for (let n = 0; n < 20; n++) write(n);
  const stop = new AbortController();
  const stream = watchStream(create(WatchRequestSchema, { key: bytes("p/"), prefix: true, startIndex: 5n }), stop.signal, optionsFor(hub));
  const seen: number[] = [];
  const first = await stream.next();
  expect(first.value?.kind).toEqual({ case: "created", value: expect.objectContaining({ watchId: expect.any(String), startIndex: 5n }) });
  let n = 20;
  while (seen.length < expected.filter((i) => i >= 5).length || n < 40) {
    // A write between every message read: during the replay and after it.
    if (n < 40) write(n++);
    const next = await stream.next();
    expect(next.done).toBe(false);
    if (next.value !== undefined) seen.push(...eventIndexes(next.value));
  }
  expect(seen).toEqual(expected.filter((i) => i >= 5));
  stop.abort();
  expect((await stream.next()).done).toBe(true);
  expect(hub.size).toBe(0);
});

test("a start below the compact index gets WatchCompacted naming the oldest index, then the stream ends", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  for (let n = 0; n < 10; n++) source.apply([[`k${n}`, "v"]]);
  source.compact(7);
  const messages: WatchResponse[] = [];
  for await (const m of watchStream(
    create(WatchRequestSchema, { key: bytes("k"), prefix: true, startIndex: 3n }),
    new AbortController().signal,
    optionsFor(hub),
  )) {
    messages.push(m);
  }
  expect(messages.map((m) => m.kind.case)).toEqual(["created", "compacted"]);
  expect(messages[1]?.kind).toEqual({ case: "compacted", value: expect.objectContaining({ compactIndex: 7n }) });
  expect(hub.size).toBe(0);
});

test("a restore during the replay ends the stream with WatchAbandoned and no live events", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  for (let n = 0; n < 10; n++) source.apply([[`k${n}`, "v"]]);
  const stream = watchStream(create(WatchRequestSchema, { key: bytes("k"), prefix: true, startIndex: 1n }), new AbortController().signal, optionsFor(hub));
  expect((await stream.next()).value?.kind.case).toBe("created");
  expect((await stream.next()).value?.kind.case).toBe("events");
  source.apply([["k-live", "v"]]);
  source.restore(50);
  const rest: WatchResponse[] = [];
  for await (const m of stream) rest.push(m);
  expect(rest.map((m) => m.kind.case)).toEqual(["abandoned"]);
  expect(rest[0]?.kind).toEqual({ case: "abandoned", value: expect.objectContaining({ restoredIndex: 50n }) });
});

test("prev_kv comes from the event or, failing that, from history", async () => {
  const source = new FakeChangeSource();
  const hub = new WatchHub(source);
  source.apply([["k", "old"]]);
  const stop = new AbortController();
  const stream = watchStream(create(WatchRequestSchema, { key: bytes("k"), prevKv: true }), stop.signal, optionsFor(hub));
  await stream.next();
  source.apply([["k", "new"]]);
  const message = (await stream.next()).value;
  const event = message?.kind.case === "events" ? message.kind.value.events[0] : undefined;
  expect(new TextDecoder().decode(event?.kv?.value)).toBe("new");
  expect(new TextDecoder().decode(event?.prevKv?.value)).toBe("old");
  expect(message?.header?.index).toBe(2n);
  stop.abort();
  await stream.return(undefined);
  expect(hub.size).toBe(0);
});

test("bad selectors are refused with the field named", async () => {
  const hub = new WatchHub(new FakeChangeSource());
  const attempt = async (request: Parameters<typeof create<typeof WatchRequestSchema>>[1]) => {
    const stream = watchStream(create(WatchRequestSchema, request), new AbortController().signal, optionsFor(hub));
    return stream.next().then(
      () => "accepted",
      (error: unknown) => String(error),
    );
  };
  expect(await attempt({})).toContain("key: must not be empty");
  expect(await attempt({ key: bytes("b"), rangeEnd: bytes("a") })).toContain("range_end");
  expect(await attempt({ key: bytes("k"), startIndex: 2n ** 60n })).toContain("start_index");
  expect(hub.size).toBe(0);
});
