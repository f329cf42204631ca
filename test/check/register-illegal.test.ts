import { describe, expect, test } from "bun:test";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import { registerModel } from "../../src/check/register-model.ts";
import { cas, pendingWrite, read, write } from "./history-builder.ts";

describe("histories that are not linearizable", () => {
  test("a stale read after a completed write", () => {
    const history = [write(1, "x", "1", 0, 1), read(2, "x", null, 2, 3)];
    const result = checkLinearizable(registerModel, history);
    expect(result.kind).toBe("illegal");
    if (result.kind !== "illegal") return;
    expect(result.partition).toBe(0);
    expect(result.history).toHaveLength(2);
    expect(result.explanation).toContain('read("x") -> null');
    expect(result.explanation).toContain('write("x", "1")');
  });

  test("a read of a value never written", () => {
    const history = [write(1, "x", "1", 0, 10), read(2, "x", "2", 1, 9)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("two readers observing two writes in contradictory orders", () => {
    const history = [
      write(1, "x", "1", 0, 100),
      write(2, "x", "2", 0, 100),
      read(3, "x", "1", 10, 20),
      read(3, "x", "2", 30, 40),
      read(4, "x", "2", 10, 20),
      read(4, "x", "1", 30, 40),
    ];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("two concurrent CAS from the same value cannot both succeed", () => {
    const history = [write(1, "x", "a", 0, 1), cas(2, "x", "a", "b", true, 2, 10), cas(3, "x", "a", "c", true, 3, 9)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("a CAS that failed although its expectation held throughout", () => {
    const history = [write(1, "x", "a", 0, 1), cas(2, "x", "a", "b", false, 2, 3)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("a value that reappears after being overwritten", () => {
    const history = [write(1, "x", "1", 0, 1), write(1, "x", "2", 2, 3), read(2, "x", "2", 4, 5), read(2, "x", "1", 6, 7)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("an ambiguous write seen, then unseen with nothing else written", () => {
    const history = [pendingWrite(1, "x", "1", 0), read(2, "x", "1", 5, 6), read(2, "x", null, 7, 8)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("a read that precedes the write it observed in real time", () => {
    const history = [read(2, "x", "1", 0, 1), write(1, "x", "1", 2, 3)];
    expect(checkLinearizable(registerModel, history).kind).toBe("illegal");
  });

  test("the explanation names the longest linearizable prefix and the operation that cannot be placed", () => {
    const history = [write(1, "x", "a", 0, 1), read(2, "x", "a", 2, 3), write(1, "x", "b", 4, 5), read(2, "x", "a", 6, 7)];
    const result = checkLinearizable(registerModel, history);
    expect(result.kind).toBe("illegal");
    if (result.kind !== "illegal") return;
    expect(result.explanation).toContain("longest linearizable prefix has 3 operation(s)");
    expect(result.explanation).toContain('state after the prefix: "b"');
    expect(result.explanation).toMatch(/cannot be placed next.*client 2: read\("x"\) -> "a" \[6, 7\]/);
  });

  test("a malformed operation is rejected with context", () => {
    expect(() => checkLinearizable(registerModel, [write(7, "x", "1", 5, 4)])).toThrow(/client 7/);
  });
});
