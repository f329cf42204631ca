import { describe, expect, test } from "bun:test";
import type { Entry } from "../../../src/raft/entry.ts";
import { MemoryStorage } from "../../../src/raft/memory-storage.ts";
import { RaftLog } from "../../../src/raft/raft-log.ts";

const entry = (index: number, term: number): Entry => ({ index, term, kind: "noop", data: new Uint8Array(0) });

/** A log with terms [1, 1, 2, 3, 3] stored (indexes 1..5), committed through 2. */
function log(): RaftLog {
  const storage = new MemoryStorage();
  storage.append([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 3), entry(5, 3)]);
  storage.setHardState({ term: 3, vote: "", commit: 2 });
  return new RaftLog(storage, 0);
}

describe("RaftLog", () => {
  test.each<[number, number, boolean]>([
    [5, 3, true],
    [6, 3, true],
    [4, 3, false],
    [9, 2, false],
    [1, 4, true],
  ])("isUpToDate(last %d, term %d) against 5/3: %s (§5.4.1)", (index, term, expected) => {
    expect(log().isUpToDate(index, term)).toBe(expected);
  });

  test.each<[string, Entry[], number]>([
    ["all match", [entry(3, 2), entry(4, 3)], 0],
    ["the first entry past the end is the first new one", [entry(5, 3), entry(6, 3)], 6],
    ["first mismatch", [entry(3, 2), entry(4, 4)], 4],
    ["mismatch at the first one", [entry(2, 2)], 2],
  ])("findConflict: %s", (_what, entries, expected) => {
    expect(log().findConflict(entries)).toBe(expected);
  });

  test.each<[number, number, number]>([
    [5, 3, 5],
    [5, 2, 3],
    [5, 1, 2],
    [9, 2, 3],
    [5, 0, 0],
  ])("findConflictByTerm(%d, %d) = %d: the last index at or below it with a term at most that", (index, term, expected) => {
    expect(log().findConflictByTerm(index, term)).toBe(expected);
  });

  test("commitTo never goes back and never past the last index", () => {
    const l = log();
    expect(l.commitTo(1)).toBe(false);
    expect(l.committed).toBe(2);
    expect(l.commitTo(4)).toBe(true);
    expect(l.committed).toBe(4);
    expect(() => l.commitTo(6)).toThrow(/beyond last index 5/);
  });

  test("appending over a committed entry is refused", () => {
    const l = log();
    expect(() => l.append([entry(2, 4)])).toThrow(/would overwrite committed index 2/);
    l.append([entry(3, 4)]);
    expect(l.lastIndex()).toBe(3);
    expect(l.term(3)).toBe(4);
  });
});
