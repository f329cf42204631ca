import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import type { Model } from "../../src/check/model.ts";
import { type RegisterInput, type RegisterOutput, registerModel } from "../../src/check/register-model.ts";
import { cas, pendingCas, pendingWrite, read, write } from "./history-builder.ts";

describe("per-key partitioning", () => {
  test("keys are independent: a value on one key says nothing about another", () => {
    const history = [write(1, "x", "1", 0, 1), read(2, "y", null, 2, 3), write(2, "y", "1", 4, 5), read(1, "x", "1", 6, 7), read(1, "y", "1", 6, 7)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("the same values on a single unpartitioned register are illegal", () => {
    // Guards the previous test: it passes because of partitioning, not because the history is trivial.
    const singleRegister: Model<string | null, RegisterInput, RegisterOutput> = {
      init: registerModel.init,
      step: registerModel.step,
      key: registerModel.key,
    };
    const history = [write(1, "x", "1", 0, 1), read(2, "y", null, 2, 3)];
    expect(checkLinearizable(singleRegister, history).kind).toBe("illegal");
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("an illegal key is reported with its own index and only its own history", () => {
    const history = [write(1, "a", "1", 0, 1), read(2, "a", "1", 2, 3), write(1, "b", "1", 0, 1), read(2, "b", null, 2, 3), write(1, "c", "1", 0, 1)];
    const result = checkLinearizable(registerModel, history);
    expect(result.kind).toBe("illegal");
    if (result.kind !== "illegal") return;
    expect(result.partition).toBe(1);
    expect(result.history.every((op) => op.input.key === "b")).toBe(true);
    expect(result.history).toHaveLength(2);
  });

  test("partitioning drops ambiguous reads and keeps observed ambiguous writes", () => {
    const partition = registerModel.partition;
    if (partition === undefined) throw new Error("registerModel must partition");
    const ambiguousRead = { ...read(1, "x", null, 0, 1), output: undefined, return: Number.POSITIVE_INFINITY };
    const parts = partition([ambiguousRead, pendingWrite(2, "x", "1", 0), read(3, "y", null, 0, 1), read(4, "x", "1", 2, 3)]);
    expect(parts.map((part) => part.length)).toEqual([2, 1]);
  });

  test("partitioning drops ambiguous writes nobody could observe, and only those", () => {
    const partition = registerModel.partition;
    if (partition === undefined) throw new Error("registerModel must partition");
    const observedWrite = pendingWrite(1, "x", "seen", 0);
    const expectedByCas = pendingWrite(2, "x", "expected", 0);
    const unobserved = pendingWrite(3, "x", "unseen", 0);
    const unobservedCas = pendingCas(4, "x", null, "unseen-too", 0);
    const reader = read(5, "x", "seen", 1, 2);
    const swapper = cas(6, "x", "expected", "z", true, 3, 4);
    const [kept] = partition([observedWrite, expectedByCas, unobserved, unobservedCas, reader, swapper]);
    expect(kept).toEqual([observedWrite, expectedByCas, reader, swapper]);
  });

  test("a failed CAS on the key keeps every ambiguous write: one could be why it failed", () => {
    const partition = registerModel.partition;
    if (partition === undefined) throw new Error("registerModel must partition");
    const unobserved = pendingWrite(3, "x", "unseen", 0);
    const [kept] = partition([write(1, "x", "a", 0, 1), unobserved, cas(2, "x", "a", "b", false, 5, 6)]);
    expect(kept ?? []).toContain(unobserved);
    // And the history is only linearizable thanks to it.
    expect(checkLinearizable(registerModel, [write(1, "x", "a", 0, 1), unobserved, cas(2, "x", "a", "b", false, 5, 6)]).kind).toBe("ok");
  });
});
