import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import { registerModel } from "../../src/check/register-model.ts";
import { SeededRandom } from "../../src/random/seeded-random.ts";
import { corruptOneRead, generateRegisterHistory } from "./random-history.ts";

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = new SeededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const a = copy[i];
    const b = copy[j];
    if (a === undefined || b === undefined) throw new Error("index out of range while shuffling");
    copy[i] = b;
    copy[j] = a;
  }
  return copy;
}

describe("histories generated from a real sequential execution", () => {
  const seeds = [1, 2, 3, 4, 5];

  test.each(seeds)("seed %d: 3000 operations over 20 keys with 10 clients check ok", (seed) => {
    const history = generateRegisterHistory({ seed, clients: 10, keys: 20, operations: 3000, ambiguousRate: 0.05 });
    expect(checkLinearizable(registerModel, history, { timeoutMs: 10_000 }).kind).toBe("ok");
  });

  test.each(seeds)("seed %d: the same history with one corrupted read is illegal", (seed) => {
    const history = generateRegisterHistory({ seed, clients: 10, keys: 20, operations: 3000, ambiguousRate: 0.05 });
    const corrupted = corruptOneRead(history, seed);
    const result = checkLinearizable(registerModel, corrupted, { timeoutMs: 10_000 });
    expect(result.kind).toBe("illegal");
    if (result.kind !== "illegal") return;
    expect(result.explanation).toContain('-> "never-written"');
  });

  test("a hot single key with many clients and ambiguous operations checks ok", () => {
    const history = generateRegisterHistory({ seed: 42, clients: 10, keys: 1, operations: 1500, ambiguousRate: 0.05 });
    expect(checkLinearizable(registerModel, history, { timeoutMs: 10_000 }).kind).toBe("ok");
  });

  test("the order operations are listed in does not matter", () => {
    const history = generateRegisterHistory({ seed: 9, clients: 10, keys: 5, operations: 1000, ambiguousRate: 0.05 });
    expect(checkLinearizable(registerModel, shuffled(history, 1), { timeoutMs: 10_000 }).kind).toBe("ok");
    const corrupted = corruptOneRead(history, 9);
    expect(checkLinearizable(registerModel, shuffled(corrupted, 2), { timeoutMs: 10_000 }).kind).toBe("illegal");
  });
});
