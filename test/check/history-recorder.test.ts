import { describe, expect, test } from "bun:test";
import { HistoryRecorder } from "../../src/check/history-recorder.ts";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import { type RegisterInput, type RegisterOutput, registerModel } from "../../src/check/register-model.ts";

describe("history recorder", () => {
  test("ok is definite, fail is dropped, info and unfinished calls are ambiguous", () => {
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
    const written = recorder.invoke(1, { kind: "write", key: "x", value: "a" }, 0);
    const refused = recorder.invoke(2, { kind: "write", key: "x", value: "b" }, 1);
    const timedOut = recorder.invoke(3, { kind: "write", key: "x", value: "c" }, 2);
    recorder.invoke(4, { kind: "write", key: "x", value: "d" }, 3);
    recorder.ok(written, { kind: "write" }, 5);
    recorder.fail(refused);
    recorder.info(timedOut);
    const ops = recorder.operations();
    expect(ops.map((op) => [op.clientId, op.output === undefined, op.return])).toEqual([
      [1, false, 5],
      [3, true, Number.POSITIVE_INFINITY],
      [4, true, Number.POSITIVE_INFINITY],
    ]);
  });

  test("a value from a failed write cannot justify a read", () => {
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
    const refused = recorder.invoke(1, { kind: "write", key: "x", value: "b" }, 0);
    recorder.fail(refused);
    const reader = recorder.invoke(2, { kind: "read", key: "x" }, 2);
    recorder.ok(reader, { kind: "read", value: "b" }, 3);
    expect(checkLinearizable(registerModel, recorder.operations()).kind).toBe("illegal");
  });

  test("completing twice or before the call is rejected with context", () => {
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
    const id = recorder.invoke(7, { kind: "read", key: "x" }, 10);
    expect(() => recorder.ok(id, { kind: "read", value: null }, 9)).toThrow(/client 7.*before its call/);
    recorder.info(id);
    expect(() => recorder.fail(id)).toThrow(/client 7 completed twice/);
    expect(() => recorder.info(99)).toThrow(/no invocation with id 99/);
  });
});
