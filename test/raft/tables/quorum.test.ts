import { describe, expect, test } from "bun:test";
import { committedIndex, quorumSize, type VoteResult, voteResult } from "../../../src/raft/quorum.ts";

describe("quorum arithmetic", () => {
  test.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [6, 4],
    [7, 4],
  ])("%d voters need %d", (voters, need) => {
    expect(quorumSize(voters)).toBe(need);
  });

  test.each<[number[], number]>([
    [[], 0],
    [[5], 5],
    [[5, 3], 3],
    [[5, 3, 1], 3],
    [[1, 3, 5], 3],
    [[7, 7, 2, 2], 2],
    [[9, 8, 7, 1, 1], 7],
    [[0, 0, 4], 0],
  ])("matches %j commit %d (the highest index a majority holds)", (matches, index) => {
    expect(committedIndex(matches)).toBe(index);
  });

  const votes = (entries: [string, boolean][]): Map<string, boolean> => new Map(entries);
  test.each<[string[], [string, boolean][], VoteResult]>([
    [[], [], "lost"],
    [["a"], [["a", true]], "won"],
    [["a", "b", "c"], [["a", true]], "pending"],
    [
      ["a", "b", "c"],
      [
        ["a", true],
        ["b", true],
      ],
      "won",
    ],
    [
      ["a", "b", "c"],
      [
        ["a", false],
        ["b", false],
      ],
      "lost",
    ],
    [
      ["a", "b", "c"],
      [
        ["a", true],
        ["b", false],
      ],
      "pending",
    ],
    [
      ["a", "b", "c", "d"],
      [
        ["a", true],
        ["b", true],
      ],
      "pending",
    ],
    [
      ["a", "b", "c", "d"],
      [
        ["a", true],
        ["b", false],
        ["c", false],
      ],
      "lost",
    ],
    // A vote from a non-voter never counts.
    [
      ["a", "b", "c"],
      [
        ["a", true],
        ["x", true],
      ],
      "pending",
    ],
  ])("voters %j with votes %j: %s", (voters, entries, result) => {
    expect(voteResult(voters, votes(entries))).toBe(result);
  });
});
