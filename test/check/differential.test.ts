import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import type { Model } from "../../src/check/model.ts";
import { type RegisterInput, type RegisterOutput, registerModel } from "../../src/check/register-model.ts";
import { SeededRandom } from "../../src/random/seeded-random.ts";
import type { RegisterOp } from "./history-builder.ts";
import { referenceLinearizable } from "./reference-checker.ts";

const values = ["a", "b", "c"];

/** A tiny history with arbitrary (mostly wrong) outputs, small integer times (so ties happen) and repeated values. */
function arbitraryHistory(random: SeededRandom): RegisterOp[] {
  const count = 1 + random.int(7);
  const history: RegisterOp[] = [];
  for (let n = 0; n < count; n++) {
    const key = random.next() < 0.75 ? "x" : "y";
    const call = random.int(8);
    const ret = call + random.int(5);
    const pick = (): string => values[random.int(values.length)] ?? "a";
    const kind = random.int(3);
    let input: RegisterInput;
    let output: RegisterOutput;
    if (kind === 0) {
      input = { kind: "read", key };
      output = { kind: "read", value: random.next() < 0.25 ? null : pick() };
    } else if (kind === 1) {
      input = { kind: "write", key, value: pick() };
      output = { kind: "write" };
    } else {
      input = { kind: "cas", key, expect: random.next() < 0.25 ? null : pick(), value: pick() };
      output = { kind: "cas", ok: random.next() < 0.5 };
    }
    const ambiguous = random.next() < 0.25;
    // Ambiguous operations sometimes carry the time the client gave up: it must not bound them.
    const giveUp = random.next() < 0.5 ? ret : Number.POSITIVE_INFINITY;
    history.push(ambiguous ? { clientId: n, input, call, output: undefined, return: giveUp } : { clientId: n, input, call, output, return: ret });
  }
  return history;
}

/** The register without its partitioning (and pruning) or read-only hint: the bare search. */
const bareRegister: Model<Map<string, string>, RegisterInput, RegisterOutput> = {
  init: () => new Map(),
  step(state, input, output) {
    const current = state.get(input.key) ?? null;
    const stepped = registerModel.step(current, input, output);
    if (!stepped.ok) return stepped;
    if (stepped.next === current) return { ok: true, next: state };
    const next = new Map(state);
    if (stepped.next !== null) next.set(input.key, stepped.next);
    return { ok: true, next };
  },
  key: (state) => JSON.stringify([...state.entries()].sort()),
};

describe("agreement with a brute-force reference on tiny arbitrary histories", () => {
  test("4000 histories: registerModel (partitioned, pruned, hinted) and the bare search both agree", () => {
    const random = new SeededRandom(20261130);
    let legal = 0;
    for (let round = 0; round < 4000; round++) {
      const history = arbitraryHistory(random);
      const expected = referenceLinearizable(history) ? "ok" : "illegal";
      if (expected === "ok") legal++;
      const context = JSON.stringify(history);
      expect([checkLinearizable(registerModel, history).kind, context]).toEqual([expected, context]);
      expect([checkLinearizable(bareRegister, history).kind, context]).toEqual([expected, context]);
    }
    // Both verdicts must be well represented for the agreement to mean anything.
    expect(legal).toBeGreaterThan(400);
    expect(legal).toBeLessThan(3600);
  });
});
