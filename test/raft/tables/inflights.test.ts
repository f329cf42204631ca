import { describe, expect, test } from "bun:test";
import { Inflights } from "../../../src/raft/inflights.ts";

type Step = readonly ["add", number] | readonly ["freeLE", number] | readonly ["freeFirstOne"] | readonly ["reset"];

function run(capacity: number, steps: readonly Step[]): { count: number; full: boolean } {
  const inflights = new Inflights(capacity);
  for (const step of steps) {
    switch (step[0]) {
      case "add":
        inflights.add(step[1]);
        break;
      case "freeLE":
        inflights.freeLE(step[1]);
        break;
      case "freeFirstOne":
        inflights.freeFirstOne();
        break;
      case "reset":
        inflights.reset();
        break;
    }
  }
  return { count: inflights.count(), full: inflights.full() };
}

describe("Inflights: the pipeline window of one follower", () => {
  test.each<[string, number, Step[], { count: number; full: boolean }]>([
    ["empty", 3, [], { count: 0, full: false }],
    [
      "fills up to its capacity",
      3,
      [
        ["add", 1],
        ["add", 2],
        ["add", 3],
      ],
      { count: 3, full: true },
    ],
    [
      "an ack frees every message ending at or below it",
      3,
      [
        ["add", 1],
        ["add", 2],
        ["add", 3],
        ["freeLE", 2],
      ],
      { count: 1, full: false },
    ],
    [
      "an ack below every message frees nothing",
      3,
      [
        ["add", 5],
        ["add", 6],
        ["freeLE", 4],
      ],
      { count: 2, full: false },
    ],
    [
      "an ack above every message frees all",
      3,
      [
        ["add", 5],
        ["add", 6],
        ["freeLE", 100],
      ],
      { count: 0, full: false },
    ],
    ["a heartbeat answer on a full window frees the oldest", 2, [["add", 1], ["add", 2], ["freeFirstOne"]], { count: 1, full: false }],
    ["reset forgets everything", 2, [["add", 1], ["add", 2], ["reset"]], { count: 0, full: false }],
  ])("%s", (_what, capacity, steps, expected) => {
    expect(run(capacity, steps)).toEqual(expected);
  });
});
