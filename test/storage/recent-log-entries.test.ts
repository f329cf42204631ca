import { describe, expect, test } from "bun:test";
import type { Entry } from "../../src/raft/entry.ts";
import { RecentLogEntries } from "../../src/storage/recent-log-entries.ts";

function run(from: number, to: number, bytes = 10): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term: 1, kind: "normal", data: new Uint8Array(bytes) });
  return out;
}

const indexes = (entries: readonly Entry[] | undefined): number[] | undefined => entries?.map((e) => e.index);

describe("RecentLogEntries", () => {
  test("keeps at most maxEntries, dropping the oldest", () => {
    const recent = new RecentLogEntries(5, 1_000_000);
    recent.append(run(1, 3));
    recent.append(run(4, 8));
    expect(recent.firstIndex()).toBe(4);
    expect(indexes(recent.slice(4, 9, Infinity))).toEqual([4, 5, 6, 7, 8]);
    expect(recent.slice(3, 9, Infinity)).toBeUndefined();
    expect(recent.slice(4, 10, Infinity)).toBeUndefined();
  });

  test("keeps at most maxBytes of payload but always the newest entry", () => {
    const recent = new RecentLogEntries(100, 25);
    recent.append(run(1, 5));
    expect(recent.firstIndex()).toBe(4);
    recent.append(run(6, 6, 1_000));
    expect(recent.firstIndex()).toBe(6);
    expect(indexes(recent.slice(6, 7, Infinity))).toEqual([6]);
  });

  test("an append that does not follow the last entry restarts the run", () => {
    const recent = new RecentLogEntries(100, 1_000_000);
    recent.append(run(1, 4));
    recent.append(run(10, 11));
    expect(recent.firstIndex()).toBe(10);
    expect(recent.at(3)).toBeUndefined();
  });

  test("truncation and compaction move both ends", () => {
    const recent = new RecentLogEntries(100, 1_000_000);
    recent.append(run(1, 10));
    recent.truncateFrom(8);
    expect(recent.at(8)).toBeUndefined();
    expect(recent.at(7)?.index).toBe(7);
    recent.dropThrough(3);
    expect(recent.firstIndex()).toBe(4);
    expect(indexes(recent.slice(4, 8, Infinity))).toEqual([4, 5, 6, 7]);
    recent.truncateFrom(2);
    expect(recent.firstIndex()).toBe(Infinity);
    expect(recent.slice(4, 5, Infinity)).toBeUndefined();
  });

  test("many drops from the front keep lookups right after the array is compacted", () => {
    const recent = new RecentLogEntries(3000, 1_000_000_000);
    for (let i = 0; i < 20; i++) recent.append(run(i * 1000 + 1, (i + 1) * 1000, 1));
    expect(recent.firstIndex()).toBe(17_001);
    expect(recent.at(17_001)?.index).toBe(17_001);
    expect(recent.at(20_000)?.index).toBe(20_000);
    recent.dropThrough(19_999);
    expect(indexes(recent.slice(20_000, 20_001, Infinity))).toEqual([20_000]);
  });
});
