import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { prefixEnd } from "../../src/fsm/key-range.ts";
import type { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import type { ChangeEvent, ChangeNotice, HistoryPage } from "../../src/fsm/kv-types.ts";
import { RequestOpSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { Entry } from "../../src/raft/entry.ts";
import { bytes, compactEntry, deleteEntry, leaseGrantEntry, leaseRevokeEntry, putEntry, rawEntry, text, txnEntry } from "./commands.ts";
import { TempStateMachine } from "./temp-state-machine.ts";

let temp: TempStateMachine;
let fsm: KvStateMachine;

beforeEach(() => {
  temp = new TempStateMachine();
  fsm = temp.fsm;
});

afterEach(() => {
  temp.close();
});

const everything = { start: new Uint8Array() };

const txnPut = (key: string, value: string) => create(RequestOpSchema, { op: { case: "put", value: { key: bytes(key), value: bytes(value) } } });
const txnDelete = (key: string) => create(RequestOpSchema, { op: { case: "delete", value: { key: bytes(key) } } });

/** A log touching every kind of change: plain puts/deletes, a txn with several writes, a range delete, a lease revoke. */
function mixedLog(): Entry[] {
  return [
    putEntry(1, "a", "a1"),
    putEntry(2, "b/1", "b1"),
    leaseGrantEntry(3, 5n),
    putEntry(4, "b/2", "b2", { lease: 5n }),
    txnEntry(5, { success: [txnPut("c", "c1"), txnDelete("a"), txnPut("c", "c2"), txnPut("b/3", "b3")] }),
    { index: 6, term: 1, kind: "noop", data: new Uint8Array() },
    deleteEntry(7, "b/", { rangeEnd: bytes("b0") }),
    putEntry(8, "b/2", "again", { lease: 5n }),
    putEntry(9, "a", "a2"),
    leaseRevokeEntry(10, 5n),
    putEntry(11, "z", "last"),
  ];
}

function describeEvents(events: readonly ChangeEvent[]): string[] {
  return events.map((e) => `${e.kv.modIndex} ${e.type} ${text(e.kv.key)}=${text(e.kv.value)} v${e.kv.version}`);
}

function eventsOf(page: HistoryPage): readonly ChangeEvent[] {
  if (page.kind !== "events") throw new Error(`expected events, got compacted at ${page.compactIndex}`);
  return page.events;
}

/** Drops `prev`, which the live feed has at hand for deletes but history does not keep. */
function withoutPrev(events: readonly ChangeEvent[]): ChangeEvent[] {
  return events.map((e) => ({ type: e.type, kv: e.kv }));
}

describe("history replay", () => {
  test("every change is recorded in index order, then operation order within an entry", () => {
    fsm.applyBatch(mixedLog());
    expect(describeEvents(eventsOf(fsm.historySince(1, everything, 0)))).toEqual([
      "1 put a=a1 v1",
      "2 put b/1=b1 v1",
      "4 put b/2=b2 v1",
      "5 put c=c1 v1",
      "5 delete a= v0",
      "5 put c=c2 v2",
      "5 put b/3=b3 v1",
      "7 delete b/1= v0",
      "7 delete b/2= v0",
      "7 delete b/3= v0",
      "8 put b/2=again v1",
      "9 put a=a2 v1",
      "10 delete b/2= v0",
      "11 put z=last v1",
    ]);
  });

  test("a delete is a tombstone: the key, an empty value, modIndex = the delete, the rest 0", () => {
    fsm.applyBatch([putEntry(1, "k", "v", { term: 1 }), deleteEntry(2, "k")]);
    const [, tombstone] = eventsOf(fsm.historySince(1, everything, 0));
    expect(tombstone).toEqual({
      type: "delete",
      kv: { key: bytes("k"), value: new Uint8Array(), createIndex: 0, modIndex: 2, version: 0, lease: 0 },
    });
  });

  test("intervals select a single key, a range, a prefix or everything from a key on", () => {
    fsm.applyBatch(mixedLog());
    const keysSince = (from: number, interval: { start: Uint8Array; end?: Uint8Array }) =>
      eventsOf(fsm.historySince(from, interval, 0)).map((e) => `${e.kv.modIndex}:${text(e.kv.key)}`);
    expect(keysSince(1, { start: bytes("a"), end: new Uint8Array() })).toEqual(["1:a", "5:a", "9:a"]);
    expect(keysSince(6, { start: bytes("a"), end: new Uint8Array() })).toEqual(["9:a"]);
    expect(keysSince(1, { start: bytes("b/"), end: prefixEnd(bytes("b/")) })).toEqual([
      "2:b/1",
      "4:b/2",
      "5:b/3",
      "7:b/1",
      "7:b/2",
      "7:b/3",
      "8:b/2",
      "10:b/2",
    ]);
    expect(keysSince(1, { start: bytes("b/2"), end: bytes("b/3") })).toEqual(["4:b/2", "7:b/2", "8:b/2", "10:b/2"]);
    expect(keysSince(8, { start: bytes("b/3") })).toEqual(["11:z"]);
    expect(keysSince(8, { start: bytes("c"), end: new Uint8Array([0]) })).toEqual(["11:z"]);
    expect(keysSince(1, { start: bytes("c"), end: bytes("a") })).toEqual([]);
    expect(keysSince(12, everything)).toEqual([]);
  });

  test("pages end at an index boundary, and paging from the last index + 1 has no gaps or duplicates", () => {
    fsm.applyBatch(mixedLog());
    const full = eventsOf(fsm.historySince(1, everything, 0));
    // The limit falls inside entry 5 (4 events): the page takes the whole entry.
    const first = fsm.historySince(1, everything, 4);
    expect(first.kind === "events" && [describeEvents(first.events).length, first.more]).toEqual([7, true]);

    for (const limit of [1, 2, 3, 5, 100]) {
      const seen: ChangeEvent[] = [];
      let from = 1;
      for (let pages = 0; pages < 50; pages++) {
        const page = fsm.historySince(from, everything, limit);
        const events = eventsOf(page);
        seen.push(...events);
        const last = events[events.length - 1];
        if (page.kind !== "events" || !page.more || last === undefined) break;
        from = last.kv.modIndex + 1;
      }
      expect(describeEvents(seen)).toEqual(describeEvents(full));
    }
  });

  test("a page cut inside an index is completed only with that index's keys in the interval", () => {
    fsm.applyBatch([txnEntry(1, { success: [txnPut("p/1", "1"), txnPut("q", "x"), txnPut("p/2", "2"), txnPut("p/3", "3")] })]);
    fsm.applyBatch([putEntry(2, "q", "y")]);
    const page = fsm.historySince(1, { start: bytes("p/"), end: prefixEnd(bytes("p/")) }, 1);
    expect(page.kind === "events" && [page.events.map((e) => text(e.kv.key)), page.more]).toEqual([["p/1", "p/2", "p/3"], false]);
    const all = fsm.historySince(1, everything, 2);
    expect(all.kind === "events" && [all.events.length, all.more]).toEqual([4, true]);
  });

  test("the change feed delivers exactly what history records, batch by batch", () => {
    const live: ChangeEvent[] = [];
    const indexes: number[] = [];
    fsm.onChange((notice) => {
      if (notice.kind !== "applied") return;
      indexes.push(notice.index);
      live.push(...notice.events);
    });
    const log = mixedLog();
    fsm.applyBatch(log.slice(0, 4));
    fsm.applyBatch(log.slice(4, 5));
    fsm.applyBatch(log.slice(5, 6)); // a noop: a notice with no events
    fsm.applyBatch(log.slice(6));
    expect(indexes).toEqual([4, 5, 6, 11]);
    expect(withoutPrev(live)).toEqual([...eventsOf(fsm.historySince(1, everything, 0))]);
    // The live feed has the deleted state at hand.
    expect(live.filter((e) => e.type === "delete").map((e) => `${text(e.prev?.key)}=${text(e.prev?.value)}`)).toEqual([
      "a=a1",
      "b/1=b1",
      "b/2=b2",
      "b/3=b3",
      "b/2=again",
    ]);
  });

  test("the feed: unsubscribe stops delivery; a throwing listener neither fails the apply nor starves others", () => {
    const errors: unknown[] = [];
    const quiet = new TempStateMachine({ reportListenerError: (err) => errors.push(err) });
    try {
      const heard: number[] = [];
      quiet.fsm.onChange(() => {
        throw new Error("listener bug");
      });
      const stop = quiet.fsm.onChange((notice) => heard.push(notice.index));
      expect(quiet.fsm.applyBatch([putEntry(1, "a", "1")]).map((r) => r.kind)).toEqual(["put"]);
      stop();
      quiet.fsm.applyBatch([putEntry(2, "a", "2")]);
      expect(heard).toEqual([1]);
      expect(errors.map((e) => (e instanceof Error ? e.message : String(e)))).toEqual(["listener bug", "listener bug"]);
    } finally {
      quiet.close();
    }
  });

  test("a batch that fails (a gap) is not announced and records no history", () => {
    fsm.applyBatch([putEntry(1, "a", "1")]);
    const notices: ChangeNotice[] = [];
    fsm.onChange((notice) => notices.push(notice));
    expect(() => fsm.applyBatch([putEntry(3, "b", "2")])).toThrow(/missing/);
    expect(notices).toEqual([]);
    expect(eventsOf(fsm.historySince(2, everything, 0))).toEqual([]);
    fsm.applyBatch([putEntry(2, "c", "3")]);
    expect(notices.map((n) => (n.kind === "applied" ? describeEvents(n.events) : []))).toEqual([["2 put c=3 v1"]]);
  });

  test("undecodable commands and errors record nothing", () => {
    fsm.applyBatch([rawEntry(1, new Uint8Array([0xff, 0xff])), putEntry(2, "", "empty"), putEntry(3, "k", "v")]);
    expect(describeEvents(eventsOf(fsm.historySince(1, everything, 0)))).toEqual(["3 put k=v v1"]);
  });
});

describe("previous revision", () => {
  test("the key's state just before its change at an index, from history", () => {
    fsm.applyBatch([...mixedLog(), putEntry(12, "c", "c3")]);
    const prevAt = (key: string, index: number) => {
      const kv = fsm.previousRevision(bytes(key), index);
      return kv === undefined ? undefined : `${text(kv.value)} c${kv.createIndex} m${kv.modIndex} v${kv.version} l${kv.lease}`;
    };
    expect(prevAt("a", 1)).toBeUndefined();
    expect(prevAt("a", 5)).toBe("a1 c1 m1 v1 l0");
    expect(prevAt("a", 9)).toBeUndefined(); // deleted at 5
    expect(prevAt("c", 5)).toBeUndefined(); // created there
    expect(prevAt("c", 12)).toBe("c2 c5 m5 v2 l0"); // the last of the two writes at 5
    expect(prevAt("c", 6)).toBeUndefined(); // no change of c at 6
    expect(prevAt("b/3", 7)).toBe("b3 c5 m5 v1 l0");
    expect(prevAt("b/2", 7)).toBe("b2 c4 m4 v1 l5");
    expect(prevAt("b/2", 10)).toBe("again c8 m8 v1 l5");
    expect(prevAt("never", 11)).toBeUndefined();
  });

  test("unknown once compacted", () => {
    fsm.applyBatch([putEntry(1, "a", "1"), putEntry(2, "b", "1"), putEntry(3, "a", "2"), compactEntry(4, 3n)]);
    fsm.applyBatch([putEntry(5, "a", "3"), putEntry(6, "b", "2")]);
    expect(fsm.previousRevision(bytes("a"), 3)).toBeUndefined();
    expect(fsm.previousRevision(bytes("b"), 6)).toBeUndefined();
    expect(text(fsm.previousRevision(bytes("a"), 5)?.value)).toBe("2");
  });
});

describe("compaction", () => {
  test("a fresh store replays from 1; compact drops history below its index and moves compactIndex", () => {
    expect(fsm.compactIndex()).toBe(1);
    expect(fsm.historySince(0, everything, 0)).toEqual({ kind: "events", events: [], more: false });
    fsm.applyBatch(mixedLog());
    const results = fsm.applyBatch([compactEntry(12, 7n)]);
    expect(results).toEqual([{ kind: "compact", index: 12, compactIndex: 7 }]);
    expect(fsm.compactIndex()).toBe(7);
    expect(fsm.historySince(6, everything, 0)).toEqual({ kind: "compacted", compactIndex: 7 });
    expect(fsm.historySince(1, { start: bytes("z"), end: new Uint8Array() }, 10)).toEqual({ kind: "compacted", compactIndex: 7 });
    expect(describeEvents(eventsOf(fsm.historySince(7, everything, 0)))[0]).toBe("7 delete b/1= v0");
    expect(eventsOf(fsm.historySince(7, everything, 0))).toHaveLength(7);
  });

  test("an older compaction is a no-op answering the current index; one above its own entry is refused", () => {
    fsm.applyBatch([putEntry(1, "a", "1"), putEntry(2, "a", "2"), compactEntry(3, 2n)]);
    const hash = fsm.hash();
    const results = fsm.applyBatch([compactEntry(4, 1n), compactEntry(5, 6n), compactEntry(6, 6n)]);
    expect(results[0]).toEqual({ kind: "compact", index: 4, compactIndex: 2 });
    expect(results[1]?.kind === "error" && results[1].message).toMatch(/entry 5: compact: index 6 is above this entry's index 5/);
    expect(results[2]).toEqual({ kind: "compact", index: 6, compactIndex: 6 });
    expect(fsm.compactIndex()).toBe(6);
    expect(fsm.hash()).not.toBe(hash);
    expect(fsm.historySince(6, everything, 0)).toEqual({ kind: "events", events: [], more: false });
  });

  test("history and compactIndex survive a restart and travel in a snapshot; replicas hash alike", async () => {
    const log = [...mixedLog(), compactEntry(12, 5n), putEntry(13, "after", "compaction")];
    fsm.applyBatch(log);
    const history = fsm.historySince(5, everything, 0);
    const hash = fsm.hash();
    fsm = temp.reopen();
    expect(fsm.compactIndex()).toBe(5);
    expect(fsm.historySince(5, everything, 0)).toEqual(history);
    expect(fsm.hash()).toBe(hash);

    const snapshot = join(temp.dir, "snap.db");
    await fsm.snapshotTo(snapshot);
    const follower = new TempStateMachine();
    try {
      follower.fsm.applyBatch(log.slice(0, 3));
      const notices: ChangeNotice[] = [];
      follower.fsm.onChange((notice) => notices.push(notice));
      follower.fsm.restoreFrom(snapshot);
      expect(notices).toEqual([{ kind: "restored", index: 13 }]);
      expect(follower.fsm.compactIndex()).toBe(5);
      expect(follower.fsm.historySince(5, everything, 0)).toEqual(history);
      expect(follower.fsm.hash()).toBe(hash);

      // A replica that applied the same log from scratch agrees too.
      const replica = new TempStateMachine();
      try {
        replica.fsm.applyBatch(log.slice(0, 7));
        replica.fsm.applyBatch(log.slice(7));
        expect(replica.fsm.hash()).toBe(hash);
      } finally {
        replica.close();
      }
    } finally {
      follower.close();
    }
  });

  test("a store written before history existed is migrated and replays only from after its applied index", () => {
    fsm.applyBatch([putEntry(1, "a", "1"), putEntry(2, "b", "2"), putEntry(3, "c", "3")]);
    fsm.close();
    const raw = new Database(temp.path);
    raw.exec("DROP TABLE history; DROP TABLE history_state; ALTER TABLE kv DROP COLUMN prev_mod_index;");
    raw.close();
    fsm = temp.reopen();
    expect(fsm.compactIndex()).toBe(4);
    expect(fsm.historySince(3, everything, 0)).toEqual({ kind: "compacted", compactIndex: 4 });
    fsm.applyBatch([putEntry(4, "d", "4"), putEntry(5, "a", "5")]);
    expect(describeEvents(eventsOf(fsm.historySince(4, everything, 0)))).toEqual(["4 put d=4 v1", "5 put a=5 v2"]);
    // The version "a" replaced was written before history: unknown.
    expect(fsm.previousRevision(bytes("a"), 5)).toBeUndefined();
  });
});
