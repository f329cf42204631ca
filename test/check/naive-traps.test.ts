import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import type { Model } from "../../src/check/model.ts";
import type { Operation } from "../../src/check/operation.ts";
import { registerModel } from "../../src/check/register-model.ts";
import { pendingWrite, read, write } from "./history-builder.ts";

/**
 * Each history here is judged wrongly by a plausible shortcut; the comment
 * names the shortcut and what it would say.
 */
describe("histories a naive checker gets wrong", () => {
  test("ordering by call time: a read called after a write may still precede it", () => {
    // Call order says write then read, so the read "should" see 1; but they overlap.
    const history = [write(1, "x", "1", 0, 10), read(2, "x", null, 1, 2)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("ordering by return time: a read returning before a write may still follow it", () => {
    // Return order says read then write, so the read "should" see null; but they overlap.
    const history = [write(1, "x", "1", 0, 10), read(2, "x", "1", 1, 5)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("ordering by call time misses a real-time violation hidden behind a long operation", () => {
    // Sorted by call: w1, w2(long), r->1. A checker that only asks "was 1 ever written before this read was
    // called" says ok; but w2 took effect somewhere in [2, 3] and the read runs entirely after 3.
    const history = [write(1, "x", "1", 0, 1), write(2, "x", "2", 2, 3), read(3, "x", "1", 4, 5)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("forgetting that an ambiguous write may have taken effect", () => {
    const history = [pendingWrite(1, "x", "1", 0), read(2, "x", "1", 5, 6)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("requiring an ambiguous write to take effect before its client gave up", () => {
    const history = [{ ...pendingWrite(1, "x", "1", 0), return: 3 }, read(2, "x", null, 5, 6), read(2, "x", "1", 7, 8)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("requiring an ambiguous operation to take effect at all", () => {
    // A write-once cell: a second write is impossible in any state, so if the checker insisted on placing
    // the pending second write somewhere, it would find no linearization.
    const history: Operation<WriteOnceInput, WriteOnceOutput>[] = [
      { clientId: 1, input: { kind: "set", value: "a" }, call: 0, output: { kind: "set" }, return: 1 },
      { clientId: 2, input: { kind: "set", value: "b" }, call: 2, output: undefined, return: Number.POSITIVE_INFINITY },
      { clientId: 3, input: { kind: "get" }, call: 3, output: { kind: "get", value: "a" }, return: 4 },
    ];
    expect(checkLinearizable(writeOnceModel, history).kind).toBe("ok");
  });

  test("an ambiguous write cannot justify a read that happened before it was called", () => {
    const history = [read(2, "x", "1", 0, 1), pendingWrite(1, "x", "1", 2)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("greedy choice: placing the first legal operation first leads to a dead end", () => {
    // Both writes overlap the first read; picking w1 then w2 greedily leaves r->1 unplaceable after r->2.
    // The only valid order is w2, r->2, w1, r->1, which needs backtracking.
    const history = [write(1, "x", "1", 0, 10), write(2, "x", "2", 0, 10), read(3, "x", "2", 1, 2), read(3, "x", "1", 11, 12)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });
});

type WriteOnceInput = { readonly kind: "set"; readonly value: string } | { readonly kind: "get" };
type WriteOnceOutput = { readonly kind: "set" } | { readonly kind: "get"; readonly value: string | null };

const writeOnceModel: Model<string | null, WriteOnceInput, WriteOnceOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case "set":
        return state === null ? { ok: true, next: input.value } : { ok: false };
      case "get":
        return output === undefined || (output.kind === "get" && output.value === state) ? { ok: true, next: state } : { ok: false };
      default: {
        const unreachable: never = input;
        throw new Error(`unknown input ${JSON.stringify(unreachable)}`);
      }
    }
  },
  key: (state) => JSON.stringify(state),
};
