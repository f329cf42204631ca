import { describe, expect, test } from "bun:test";
import { checkBankReads } from "../../src/check/bank-invariant.ts";
import { type BankInput, type BankOutput, bankModel } from "../../src/check/bank-model.ts";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import type { Operation } from "../../src/check/operation.ts";
import { checkSetFinalRead } from "../../src/check/set-final-read.ts";
import { type SetInput, type SetOutput, setModel } from "../../src/check/set-model.ts";

type SetOp = Operation<SetInput, SetOutput>;
type BankOp = Operation<BankInput, BankOutput>;

const add = (clientId: number, element: string, call: number, ret: number): SetOp => ({
  clientId,
  input: { kind: "add", element },
  call,
  output: { kind: "add" },
  return: ret,
});
const pendingAdd = (clientId: number, element: string, call: number): SetOp => ({
  clientId,
  input: { kind: "add", element },
  call,
  output: undefined,
  return: Number.POSITIVE_INFINITY,
});
const readSet = (clientId: number, elements: string[], call: number, ret: number): SetOp => ({
  clientId,
  input: { kind: "read" },
  call,
  output: { kind: "read", elements },
  return: ret,
});

describe("set model", () => {
  test("reads see acknowledged adds, in any listing order, and ambiguous adds either way", () => {
    const history = [add(1, "a", 0, 1), pendingAdd(2, "b", 2), add(3, "c", 2, 10), readSet(4, ["a"], 3, 4), readSet(4, ["c", "b", "a"], 11, 12)];
    expect(checkLinearizable(setModel, history).kind).toBe("ok");
  });

  test("an acknowledged add missing from a later read is illegal", () => {
    const history = [add(1, "a", 0, 1), add(2, "b", 2, 3), readSet(3, ["b"], 4, 5)];
    const result = checkLinearizable(setModel, history);
    expect(result.kind).toBe("illegal");
    if (result.kind !== "illegal") return;
    expect(result.explanation).toContain('read() -> ["b"]');
  });

  test("an element seen and then gone is illegal", () => {
    const history = [pendingAdd(1, "a", 0), readSet(2, ["a"], 1, 2), readSet(2, [], 3, 4)];
    expect(checkLinearizable(setModel, history).kind).toBe("illegal");
  });

  test("a read listing an element twice is illegal", () => {
    expect(checkLinearizable(setModel, [add(1, "a", 0, 1), readSet(2, ["a", "a"], 2, 3)]).kind).toBe("illegal");
  });
});

describe("set final read", () => {
  test("every acknowledged add present, unacknowledged ones optional", () => {
    const report = checkSetFinalRead(
      [
        { element: "a", acknowledged: true },
        { element: "b", acknowledged: false },
        { element: "c", acknowledged: false },
      ],
      ["a", "b"],
    );
    expect(report).toEqual({ ok: true, lost: [], unexpected: [], duplicated: [], recovered: ["b"] });
  });

  test("lost, unexpected and duplicated elements are reported", () => {
    const report = checkSetFinalRead(
      [
        { element: "a", acknowledged: true },
        { element: "b", acknowledged: true },
      ],
      ["a", "a", "z"],
    );
    expect(report.ok).toBe(false);
    expect(report.lost).toEqual(["b"]);
    expect(report.unexpected).toEqual(["z"]);
    expect(report.duplicated).toEqual(["a"]);
  });
});

const transfer = (clientId: number, from: string, to: string, amount: number, ok: boolean | undefined, call: number, ret: number): BankOp => ({
  clientId,
  input: { kind: "transfer", from, to, amount },
  call,
  output: ok === undefined ? undefined : { kind: "transfer", ok },
  return: ok === undefined ? Number.POSITIVE_INFINITY : ret,
});
const readBank = (clientId: number, balances: Record<string, number>, call: number, ret: number): BankOp => ({
  clientId,
  input: { kind: "read" },
  call,
  output: { kind: "read", balances },
  return: ret,
});

describe("bank model and invariant", () => {
  const model = bankModel({ alice: 10, bob: 0 });

  test("transfers and reads that fit one order are linearizable", () => {
    const history = [
      transfer(1, "alice", "bob", 7, true, 0, 5),
      transfer(2, "alice", "bob", 7, false, 1, 6),
      transfer(3, "bob", "alice", 1, undefined, 7, 0),
      readBank(4, { alice: 4, bob: 6 }, 8, 9),
    ];
    expect(checkLinearizable(model, history).kind).toBe("ok");
  });

  test("two transfers that cannot both fit the balance cannot both succeed", () => {
    const history = [transfer(1, "alice", "bob", 7, true, 0, 5), transfer(2, "alice", "bob", 7, true, 1, 6)];
    expect(checkLinearizable(model, history).kind).toBe("illegal");
  });

  test("a read that matches no point in time is illegal even when its total is right", () => {
    const history = [transfer(1, "alice", "bob", 3, true, 0, 1), readBank(2, { alice: 10, bob: 0 }, 2, 3)];
    expect(checkLinearizable(model, history).kind).toBe("illegal");
  });

  test("reads with a wrong total or a negative balance are anomalies", () => {
    const anomalies = checkBankReads(
      [
        { alice: 4, bob: 6 },
        { alice: 4, bob: 7 },
        { alice: -1, bob: 11 },
      ],
      10,
    );
    expect(anomalies.map((anomaly) => anomaly.index)).toEqual([1, 2]);
    expect(anomalies[0]?.description).toBe("read 1: total 11, expected 10");
    expect(anomalies[1]?.negativeAccounts).toEqual(["alice"]);
  });
});
