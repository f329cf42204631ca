import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Entry, EntryKind } from "../../src/raft/entry.ts";
import { LogCompactedError, LogUnavailableError } from "../../src/storage/log-errors.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

function entry(index: number, term: number, kind: EntryKind = "normal", size = 8): Entry {
  return { index, term, kind, data: new Uint8Array(size).fill(index % 251) };
}

function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

let dir: string;
let path: string;
let store: RaftLogStore;

beforeEach(() => {
  dir = tempDir("log");
  path = join(dir, "raft.db");
  store = RaftLogStore.open(path);
});

afterEach(() => {
  store.close();
  removeDir(dir);
});

function reopen(): void {
  store.close();
  store = RaftLogStore.open(path);
}

function expectBounds(first: number, last: number): void {
  expect(store.firstIndex()).toBe(first);
  expect(store.lastIndex()).toBe(last);
  reopen();
  expect(store.firstIndex()).toBe(first);
  expect(store.lastIndex()).toBe(last);
}

describe("fresh log", () => {
  test("is empty with first 1, last 0 and term(0) = 0", () => {
    expectBounds(1, 0);
    expect(store.term(0)).toBe(0);
    expect(store.term(1)).toBeUndefined();
    expect(store.entries(1, 1)).toEqual([]);
    expect(store.hardState()).toEqual({ term: 0, vote: "", commit: 0 });
  });
});

describe("append and read", () => {
  test("stores entries with kind, term and data and reads ranges", () => {
    store.append([entry(1, 1, "noop"), entry(2, 1, "config"), entry(3, 2)]);
    expectBounds(1, 3);
    const read = store.entries(1, 4);
    expect(read.map((e) => [e.index, e.term, e.kind])).toEqual([
      [1, 1, "noop"],
      [2, 1, "config"],
      [3, 2, "normal"],
    ]);
    expect(read[2]?.data).toEqual(entry(3, 2).data);
    expect(store.term(2)).toBe(1);
    expect(store.term(3)).toBe(2);
    expect(store.term(4)).toBeUndefined();
    expect(store.lastTerm()).toBe(2);
  });

  test("maxBytes limits the result but always returns one entry", () => {
    store.append([entry(1, 1, "normal", 100), entry(2, 1, "normal", 100), entry(3, 1, "normal", 100)]);
    expect(store.entries(1, 4, 10).map((e) => e.index)).toEqual([1]);
    expect(store.entries(1, 4, 200).map((e) => e.index)).toEqual([1, 2]);
    expect(store.entries(1, 4, 10_000).map((e) => e.index)).toEqual([1, 2, 3]);
  });

  test("reads outside the log raise typed errors", () => {
    store.append(entries(1, 5, 1));
    expect(() => store.entries(3, 7)).toThrow(LogUnavailableError);
    store.compactPrefix(2, 1);
    expect(() => store.entries(2, 4)).toThrow(LogCompactedError);
    expect(() => store.entries(4, 3)).toThrow(/lo > hi/);
  });

  test("rejects gaps, non-contiguous batches, decreasing terms and bad entries", () => {
    store.append(entries(1, 3, 2));
    expect(() => store.append([entry(5, 2)])).toThrow(/gap/);
    expect(() => store.append([entry(4, 2), entry(6, 2)])).toThrow(/not contiguous/);
    expect(() => store.append([entry(4, 3), entry(5, 2)])).toThrow(/decreasing terms/);
    expect(() => store.append([entry(4, 1)])).toThrow(/higher term/);
    expect(() => store.append([entry(4, 0)])).toThrow(/invalid term/);
    expect(() => store.append([{ index: 4, term: 2, kind: "bogus" as EntryKind, data: new Uint8Array() }])).toThrow(/unknown kind/);
    expectBounds(1, 3);
    expect(store.entries(1, 4).map((e) => e.term)).toEqual([2, 2, 2]);
  });

  test("appending over the tail replaces the conflicting suffix", () => {
    store.append(entries(1, 5, 1));
    store.append([entry(3, 2), entry(4, 2)]);
    expectBounds(1, 4);
    expect(store.entries(1, 5).map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
    ]);
    expect(store.term(5)).toBeUndefined();
  });

  test("an empty append changes nothing", () => {
    store.append(entries(1, 2, 1));
    store.append([]);
    expectBounds(1, 2);
  });
});

describe("truncateSuffix", () => {
  test("in the middle, at the end and beyond the end", () => {
    store.append([...entries(1, 4, 1), ...entries(5, 8, 2)]);
    store.truncateSuffix(6);
    expectBounds(1, 5);
    expect(store.lastTerm()).toBe(2);
    store.truncateSuffix(10);
    expectBounds(1, 5);
    store.truncateSuffix(5);
    expectBounds(1, 4);
    expect(store.lastTerm()).toBe(1);
    store.append([entry(5, 3)]);
    expect(store.term(5)).toBe(3);
  });

  test("truncating everything leaves an empty log that can be refilled", () => {
    store.append(entries(1, 3, 1));
    store.truncateSuffix(1);
    expectBounds(1, 0);
    expect(store.lastTerm()).toBe(0);
    store.append([entry(1, 2)]);
    expectBounds(1, 1);
  });

  test("cannot truncate compacted entries", () => {
    store.append(entries(1, 5, 1));
    store.compactPrefix(3, 1);
    expect(() => store.truncateSuffix(3)).toThrow(/compacted/);
    expectBounds(4, 5);
  });
});

describe("compactPrefix", () => {
  test("compacting a prefix keeps the boundary term", () => {
    store.append([...entries(1, 3, 1), ...entries(4, 6, 2)]);
    store.compactPrefix(4, 2);
    expectBounds(5, 6);
    expect(store.term(4)).toBe(2);
    expect(store.term(3)).toBeUndefined();
    expect(store.entries(5, 7).map((e) => e.index)).toEqual([5, 6]);
  });

  test("compacting everything leaves last = compacted index", () => {
    store.append(entries(1, 5, 3));
    store.compactPrefix(5, 3);
    expectBounds(6, 5);
    expect(store.term(5)).toBe(3);
    expect(store.lastTerm()).toBe(3);
    expect(store.entries(6, 6)).toEqual([]);
  });

  test("compacting beyond the last index moves the log forward", () => {
    store.append(entries(1, 3, 1));
    store.compactPrefix(10, 4);
    expectBounds(11, 10);
    expect(store.term(10)).toBe(4);
    expect(store.lastTerm()).toBe(4);
    expect(() => store.append([entry(12, 4)])).toThrow(/gap/);
    store.append([entry(11, 4), entry(12, 5)]);
    expectBounds(11, 12);
    expect(store.entries(11, 13).map((e) => e.term)).toEqual([4, 5]);
  });

  test("append after compaction drops already compacted entries and checks the boundary", () => {
    store.append(entries(1, 5, 1));
    store.compactPrefix(3, 1);
    store.append([entry(2, 1), entry(3, 1), entry(4, 2)]);
    expectBounds(4, 4);
    expect(store.term(4)).toBe(2);
    expect(() => store.append([entry(3, 2), entry(4, 2)])).toThrow(/compacted boundary/);
    store.append([entry(1, 1)]);
    expectBounds(4, 4);
  });

  test("stale compaction is a no-op, mismatched terms are rejected", () => {
    store.append(entries(1, 5, 2));
    store.compactPrefix(3, 2);
    store.compactPrefix(2, 2);
    expectBounds(4, 5);
    expect(() => store.compactPrefix(3, 1)).toThrow(/boundary has term 2/);
    expect(() => store.compactPrefix(4, 1)).toThrow(/stored entry has term 2/);
    expect(() => store.compactPrefix(9, 1)).toThrow(/higher term/);
    expectBounds(4, 5);
  });

  test("installSnapshot keeps a matching suffix, discards a conflicting log, and records the snapshot with the hard state, durably", () => {
    store.append(entries(1, 6, 2));
    store.installSnapshot({ index: 4, term: 2 }, { term: 3, vote: "", commit: 4 });
    expectBounds(5, 6);
    store.installSnapshot({ index: 6, term: 3 }, { term: 3, vote: "", commit: 6 });
    expectBounds(7, 6);
    expect(store.term(6)).toBe(3);
    expect(() => store.installSnapshot({ index: 2, term: 3 }, { term: 3, vote: "", commit: 6 })).toThrow(/below the compacted index/);
    reopen();
    expectBounds(7, 6);
    expect(store.hardState()).toEqual({ term: 3, vote: "", commit: 6 });
    expect(store.snapshotRecords()).toEqual([
      { index: 6, term: 3 },
      { index: 4, term: 2 },
    ]);
  });

  test("snapshot records survive reopening and only the newest 16 are kept", () => {
    store.append(entries(1, 40, 1));
    for (let i = 1; i <= 20; i++) store.recordSnapshot({ index: i * 2, term: 1 });
    reopen();
    const records = store.snapshotRecords();
    expect(records.length).toBe(16);
    expect(records[0]).toEqual({ index: 40, term: 1 });
    expect(records[15]).toEqual({ index: 10, term: 1 });
  });
});

describe("hard state, metadata and persist", () => {
  test("persist writes hard state, entries and metadata together and survives reopen", () => {
    store.persist({
      hardState: { term: 2, vote: "n1", commit: 1 },
      entries: entries(1, 3, 2),
      meta: new Map([["cluster-id", new TextEncoder().encode("c-1")]]),
    });
    reopen();
    expect(store.hardState()).toEqual({ term: 2, vote: "n1", commit: 1 });
    expect(store.lastIndex()).toBe(3);
    expect(new TextDecoder().decode(store.getMeta("cluster-id"))).toBe("c-1");
  });

  test("a failing persist writes neither the hard state nor the entries", () => {
    store.persist({ hardState: { term: 1, vote: "", commit: 0 }, entries: entries(1, 2, 1) });
    // Valid hard state, invalid entries: the whole batch is rejected.
    expect(() => store.persist({ hardState: { term: 5, vote: "n2", commit: 2 }, entries: [entry(4, 5)] })).toThrow(/gap/);
    // Valid entries, invalid hard state (term going back): rejected inside the transaction.
    expect(() => store.persist({ hardState: { term: 0, vote: "", commit: 0 }, entries: [entry(3, 1)] })).toThrow(/must not decrease/);
    for (let pass = 0; pass < 2; pass++) {
      expect(store.hardState()).toEqual({ term: 1, vote: "", commit: 0 });
      expect(store.lastIndex()).toBe(2);
      expect(store.term(3)).toBeUndefined();
      reopen();
    }
  });

  test("setHardState and meta round trip, meta can be deleted", () => {
    store.setHardState({ term: 7, vote: "n3", commit: 4 });
    store.setMeta("membership", new Uint8Array([1, 2, 3]));
    store.setMeta("membership", new Uint8Array([4]));
    reopen();
    expect(store.hardState()).toEqual({ term: 7, vote: "n3", commit: 4 });
    expect(store.getMeta("membership")).toEqual(new Uint8Array([4]));
    store.deleteMeta("membership");
    expect(store.getMeta("membership")).toBeUndefined();
    expect(store.getMeta("missing")).toBeUndefined();
    expect(() => store.setMeta("", new Uint8Array())).toThrow(/non-empty/);
  });

  test("reopen keeps entries, boundary and hard state", () => {
    store.persist({ hardState: { term: 3, vote: "n1", commit: 9 }, entries: [...entries(1, 5, 1), ...entries(6, 10, 3)] });
    store.compactPrefix(4, 1);
    store.truncateSuffix(9);
    reopen();
    expect(store.firstIndex()).toBe(5);
    expect(store.lastIndex()).toBe(8);
    expect(store.term(4)).toBe(1);
    expect(store.lastTerm()).toBe(3);
    expect(store.entries(5, 9).map((e) => [e.index, e.term])).toEqual([
      [5, 1],
      [6, 3],
      [7, 3],
      [8, 3],
    ]);
    expect(store.hardState()).toEqual({ term: 3, vote: "n1", commit: 9 });
  });

  test("a closed store refuses calls", () => {
    store.close();
    expect(() => store.lastIndex() + (store.term(1) ?? 0)).toThrow(/closed/);
    store = RaftLogStore.open(path);
  });
});

describe("recent entries held in memory", () => {
  /** What the file holds, read by a fresh connection (which starts with nothing in memory). */
  function fromFile(lo: number, hi: number): { index: number; term: number; data: number[] }[] {
    const other = RaftLogStore.open(path);
    try {
      return other.entries(lo, hi).map((e) => ({ index: e.index, term: e.term, data: [...e.data] }));
    } finally {
      other.close();
    }
  }

  test("reads after appends, conflicting appends, truncation and compaction match the file", () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let term = 1;
    for (let step = 0; step < 300; step++) {
      const last = store.lastIndex();
      const first = store.firstIndex();
      const roll = random(10);
      if (roll < 6 || last < first) {
        // Sometimes overwrite a suffix, as a follower does when a new leader's log wins.
        const from = last >= first && roll === 0 ? Math.max(first, last - random(5)) : last + 1;
        if (from <= last) term++;
        store.persist({ entries: entries(from, from + random(8), term).map((e) => ({ ...e, data: new Uint8Array([step % 256, e.index % 256]) })) });
      } else if (roll < 8) {
        store.truncateSuffix(Math.max(first, last - random(4)));
      } else {
        const through = first + random(Math.max(1, last - first));
        const at = store.term(through);
        if (at !== undefined) store.compactPrefix(through, at);
      }
      const lo = store.firstIndex();
      const hi = store.lastIndex() + 1;
      if (lo >= hi) continue;
      const inMemory = store.entries(lo, hi).map((e) => ({ index: e.index, term: e.term, data: [...e.data] }));
      expect(inMemory).toEqual(fromFile(lo, hi));
      for (const e of inMemory) expect(store.term(e.index)).toBe(e.term);
    }
  });

  test("the byte limit of a read applies to entries served from memory", () => {
    store.append([entry(1, 1, "normal", 100), entry(2, 1, "normal", 100), entry(3, 1, "normal", 100)]);
    expect(store.entries(1, 4, 250).map((e) => e.index)).toEqual([1, 2]);
    expect(store.entries(1, 4, 10).map((e) => e.index)).toEqual([1]);
  });
});

describe("terms past maxTerm", () => {
  test("a hard state or an entry with a term no node may store is refused, and nothing of the batch is written", async () => {
    const { maxTerm } = await import("../../src/raft/term-limit.ts");
    store.persist({ hardState: { term: 3, vote: "", commit: 0 }, entries: [entry(1, 3)] });
    expect(() => store.persist({ hardState: { term: maxTerm + 1, vote: "", commit: 0 } })).toThrow(/above the largest term a node stores/);
    expect(() => store.persist({ hardState: { term: 2 ** 53 - 1, vote: "", commit: 0 }, entries: [entry(2, 3)] })).toThrow(/above the largest term/);
    expect(() => store.persist({ entries: [entry(2, maxTerm + 1)] })).toThrow(/invalid term/);
    expect(() => store.installSnapshot({ index: 5, term: maxTerm + 1 }, { term: 3, vote: "", commit: 5 })).toThrow(/above the largest term/);
    reopen();
    expect(store.hardState()).toEqual({ term: 3, vote: "", commit: 0 });
    expect(store.lastIndex()).toBe(1);
    // The bound itself is a term like any other.
    store.persist({ hardState: { term: maxTerm, vote: "n1", commit: 0 } });
    reopen();
    expect(store.hardState().term).toBe(maxTerm);
  });
});
