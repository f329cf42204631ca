import { describe, expect, test } from "bun:test";
import type { Entry } from "../../../src/raft/entry.ts";
import { Unstable } from "../../../src/raft/unstable.ts";

const entry = (index: number, term: number): Entry => ({ index, term, kind: "noop", data: new Uint8Array(0) });
const entries = (from: number, to: number, term: number): Entry[] => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));
const shape = (u: Unstable): string =>
  `offset=${u.offset} [${u.entries.map((e) => `${e.index}/${e.term}`).join(" ")}]${u.snapshot === undefined ? "" : ` snap=${u.snapshot.index}`}`;

describe("Unstable: entries accepted but not yet durable", () => {
  test.each<[string, number, Entry[], Entry[], string]>([
    ["appends after its end", 5, entries(5, 6, 1), entries(7, 8, 1), "offset=5 [5/1 6/1 7/1 8/1]"],
    ["a conflicting suffix replaces the tail", 5, entries(5, 8, 1), entries(7, 7, 2), "offset=5 [5/1 6/1 7/2]"],
    ["entries before the offset replace everything (storage truncates on persist)", 5, entries(5, 6, 1), entries(3, 4, 2), "offset=3 [3/2 4/2]"],
    ["appending at the offset replaces everything", 5, entries(5, 6, 1), entries(5, 5, 3), "offset=5 [5/3]"],
  ])("%s", (_what, offset, initial, appended, expected) => {
    const u = new Unstable(offset);
    u.truncateAndAppend(initial);
    u.truncateAndAppend(appended);
    expect(shape(u)).toBe(expected);
  });

  test.each<[string, number, number, string]>([
    ["stable through 6 drops 5 and 6", 6, 1, "offset=7 [7/1 8/1]"],
    ["a term mismatch means the entry was replaced meanwhile: nothing drops", 6, 2, "offset=5 [5/1 6/1 7/1 8/1]"],
    ["an index below the offset is already stable", 3, 1, "offset=5 [5/1 6/1 7/1 8/1]"],
  ])("stableTo: %s", (_what, index, term, expected) => {
    const u = new Unstable(5);
    u.truncateAndAppend(entries(5, 8, 1));
    u.stableTo(index, term);
    expect(shape(u)).toBe(expected);
  });

  test("a restored snapshot resets the offset and answers the term at its index until it is durable", () => {
    const u = new Unstable(5);
    u.truncateAndAppend(entries(5, 6, 1));
    u.restore({ index: 10, term: 3, membership: { members: [], index: 0 } });
    expect(shape(u)).toBe("offset=11 [] snap=10");
    expect(u.term(10)).toBe(3);
    expect(u.lastIndex()).toBe(10);
    expect(u.firstIndex()).toBe(11);
    u.stableSnapshotTo(10);
    expect(u.snapshot).toBeUndefined();
    expect(u.term(10)).toBeUndefined();
  });
});
