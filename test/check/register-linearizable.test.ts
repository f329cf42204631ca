import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import { registerModel } from "../../src/check/register-model.ts";
import { cas, pendingCas, pendingWrite, read, write } from "./history-builder.ts";

describe("histories that are linearizable", () => {
  test("an empty history", () => {
    expect(checkLinearizable(registerModel, []).kind).toBe("ok");
  });

  test("a sequential history, including a read of an absent key", () => {
    const history = [
      read(1, "x", null, 0, 1),
      write(1, "x", "a", 2, 3),
      read(2, "x", "a", 4, 5),
      cas(1, "x", "a", "b", true, 6, 7),
      cas(2, "x", "a", "c", false, 8, 9),
      read(1, "x", "b", 10, 11),
    ];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("overlapping writes may take effect in either order", () => {
    for (const last of ["1", "2"]) {
      const history = [write(1, "x", "1", 0, 10), write(2, "x", "2", 1, 9), read(3, "x", last, 11, 12)];
      expect(checkLinearizable(registerModel, history).kind).toBe("ok");
    }
  });

  test("a read concurrent with a write may see the old or the new value", () => {
    for (const seen of [null, "1"]) {
      const history = [write(1, "x", "1", 0, 10), read(2, "x", seen, 2, 8)];
      expect(checkLinearizable(registerModel, history).kind).toBe("ok");
    }
  });

  test("concurrent reads may observe a write's effect at different moments in real-time order", () => {
    // Reader 2 sees the new value before reader 3 (still concurrent with the write) sees the old one: legal,
    // because reader 3's read may be linearized before the write even though it returned later.
    const history = [write(1, "x", "1", 0, 20), read(2, "x", "1", 1, 5), read(3, "x", null, 2, 15)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("an ambiguous write that took effect", () => {
    const history = [pendingWrite(1, "x", "1", 0), read(2, "x", "1", 5, 6), read(2, "x", "1", 7, 8)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("an ambiguous write that never took effect", () => {
    const history = [pendingWrite(1, "x", "1", 0), read(2, "x", null, 5, 6), read(2, "x", null, 7, 8)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("an ambiguous write that took effect long after its client gave up", () => {
    // The client gave up at 5 (recorded as its return time); the write still landed between the two reads.
    const history = [{ ...pendingWrite(1, "x", "1", 0), return: 5 }, read(2, "x", null, 6, 7), read(2, "x", "1", 8, 9)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("ambiguous CAS succeeding or failing", () => {
    const base = [write(1, "x", "a", 0, 1), pendingCas(2, "x", "a", "b", 2)];
    expect(checkLinearizable(registerModel, [...base, read(3, "x", "b", 5, 6)]).kind).toBe("ok");
    expect(checkLinearizable(registerModel, [...base, read(3, "x", "a", 5, 6)]).kind).toBe("ok");
  });

  test("operations touching at one timestamp count as concurrent", () => {
    // The clock cannot order a return and a call with the same timestamp, so neither is forced first.
    const history = [write(1, "x", "1", 0, 5), read(2, "x", null, 5, 6)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });

  test("a history of only ambiguous operations", () => {
    const history = [pendingWrite(1, "x", "1", 0), pendingCas(2, "x", null, "2", 1)];
    expect(checkLinearizable(registerModel, history).kind).toBe("ok");
  });
});
