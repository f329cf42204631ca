import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import type { Model } from "../../src/check/model.ts";
import { type RegisterInput, type RegisterOutput, registerModel } from "../../src/check/register-model.ts";
import { pendingWrite, type RegisterOp, read, write } from "./history-builder.ts";

/**
 * Many concurrent ambiguous writes followed by a read of a value no one
 * wrote: refuting it means trying every subset of the writes, which no
 * search finishes in a test's lifetime. (Checked as one register without
 * registerModel's partitioning, which would drop the unobserved writes.)
 */
function exponentialHistory(writers: number): RegisterOp[] {
  const history: RegisterOp[] = [];
  for (let i = 0; i < writers; i++) history.push(pendingWrite(i, "x", `v${i}`, 0));
  history.push(read(writers, "x", "never-written", 1, 2));
  return history;
}

const singleRegister: Model<string | null, RegisterInput, RegisterOutput> = {
  init: registerModel.init,
  step: registerModel.step,
  key: registerModel.key,
};

/** Partitions only by key, keeping every operation, so hard histories stay hard. */
const keyedRegisters: Model<string | null, RegisterInput, RegisterOutput> = {
  ...singleRegister,
  partition(ops) {
    const keys = [...new Set(ops.map((op) => op.input.key))];
    return keys.map((key) => ops.filter((op) => op.input.key === key));
  },
};

describe("timeout", () => {
  test("a search that runs out of time is unknown, not ok", () => {
    const result = checkLinearizable(singleRegister, exponentialHistory(40), { timeoutMs: 200 });
    expect(result).toEqual({ kind: "unknown", reason: "timeout" });
  });

  test("a hard partition does not hide an easy illegal one behind the timeout", () => {
    const easyIllegal = [write(100, "y", "1", 0, 1), read(101, "y", null, 2, 3)];
    const result = checkLinearizable(keyedRegisters, [...exponentialHistory(40), ...easyIllegal], { timeoutMs: 2_000 });
    expect(result.kind).toBe("illegal");
    if (result.kind !== "illegal") return;
    expect(result.partition).toBe(1);
  });

  test("without a timeout, a small hard history is still decided", () => {
    expect(checkLinearizable(singleRegister, exponentialHistory(8)).kind).toBe("illegal");
  });

  test("registerModel's partitioning makes the hard history easy: its writes are unobservable", () => {
    expect(checkLinearizable(registerModel, exponentialHistory(40), { timeoutMs: 5_000 }).kind).toBe("illegal");
  });
});
