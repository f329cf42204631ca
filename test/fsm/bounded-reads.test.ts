import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import type { ApplyResult, RangeResult, TxnOpResult } from "../../src/fsm/kv-types.ts";
import { type RequestOp, RequestOpSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { bytes, putEntry, text, txnEntry } from "./commands.ts";
import { TempStateMachine } from "./temp-state-machine.ts";

/*
 * Ten keys k0..k9 of 100-byte values (102 bytes a key with its value): what
 * a page or a transaction's reads may hold is bounded in bytes as well as in
 * keys, and a replica nobody awaits does not evaluate a transaction's reads.
 */

let temp: TempStateMachine;

beforeEach(() => {
  temp = new TempStateMachine({ maxTxnReadBytes: 350 });
  temp.fsm.applyBatch(Array.from({ length: 10 }, (_, i) => putEntry(i + 1, `k${i}`, "v".repeat(100))));
});

afterEach(() => {
  temp.close();
});

const range = (limit = 0): RequestOp => create(RequestOpSchema, { op: { case: "range", value: { prefix: bytes("k"), limit } } });
const get = (key: string): RequestOp => create(RequestOpSchema, { op: { case: "get", value: { key: bytes(key) } } });
const put = (key: string, value: string): RequestOp => create(RequestOpSchema, { op: { case: "put", value: { key: bytes(key), value: bytes(value) } } });

function responses(result: ApplyResult | undefined): readonly TxnOpResult[] {
  if (result?.kind !== "txn") throw new Error(`expected a txn result, got ${JSON.stringify(result)}`);
  return result.responses;
}

function page(op: TxnOpResult | undefined): RangeResult {
  if (op?.kind !== "range") throw new Error(`expected a range result, got ${JSON.stringify(op)}`);
  return op.result;
}

const keysOf = (result: RangeResult): (string | undefined)[] => result.kvs.map((kv) => text(kv.key));

describe("a Range page bounded in bytes", () => {
  test("ends early past maxBytes, with more and the next key, and the pages together hold every key once", () => {
    const seen: (string | undefined)[] = [];
    let start = bytes("k");
    for (let pages = 0; pages < 10; pages++) {
      const result = temp.fsm.range({ start, end: bytes("l"), limit: 1000, keysOnly: false, countOnly: false, maxBytes: 250 });
      expect(result.kvs.length).toBe(result.more ? 2 : result.kvs.length);
      expect(result.count).toBe(result.more ? 10 - seen.length : result.kvs.length);
      seen.push(...keysOf(result));
      if (!result.more) break;
      start = result.nextKey ?? new Uint8Array();
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
  });

  test("holds at least one key even when that key alone is over maxBytes", () => {
    const result = temp.fsm.range({ start: bytes("k"), end: bytes("l"), limit: 1000, keysOnly: false, countOnly: false, maxBytes: 10 });
    expect(keysOf(result)).toEqual(["k0"]);
    expect(result.more).toBe(true);
    expect(text(result.nextKey)).toBe("k1");
  });

  test("keys-only pages count key bytes only", () => {
    const result = temp.fsm.range({ start: bytes("k"), end: bytes("l"), limit: 1000, keysOnly: true, countOnly: false, maxBytes: 10 });
    expect(result.kvs.length).toBe(5);
  });
});

describe("a transaction's reads", () => {
  test("share one byte budget: later ranges get at least one key each, with more set", () => {
    const result = temp.fsm.applyBatch([txnEntry(11, { success: [range(), get("k9"), range(), range(3)] })])[0];
    const [first, got, second, third] = responses(result);
    // 350 bytes: three keys of 102 bytes, then the get spends 102 more, the budget is gone.
    expect(keysOf(page(first))).toEqual(["k0", "k1", "k2"]);
    expect(page(first).more).toBe(true);
    expect(got?.kind === "get" ? text(got.kv?.key) : undefined).toBe("k9");
    expect(keysOf(page(second))).toEqual(["k0"]);
    expect(page(second).more).toBe(true);
    expect(keysOf(page(third))).toEqual(["k0"]);
  });

  test("are not evaluated on a replica nobody awaits the answer of, while the writes apply alike", () => {
    const txn = { success: [range(), put("written", "yes"), get("k1")] };
    const answered = temp.fsm.applyBatch([txnEntry(11, txn)], () => true)[0];
    expect(keysOf(page(responses(answered)[0])).length).toBe(3);
    const notAnswered = temp.fsm.applyBatch([txnEntry(12, { success: [range(), put("written2", "yes"), get("k1")] })], () => false)[0];
    const [skippedRange, , skippedGet] = responses(notAnswered);
    expect(page(skippedRange)).toEqual({ kvs: [], more: false, count: 0 });
    expect(skippedGet).toEqual({ kind: "get" });
    expect(text(temp.fsm.get(bytes("written"))?.value)).toBe("yes");
    expect(text(temp.fsm.get(bytes("written2"))?.value)).toBe("yes");
  });

  test("are still checked where they are not evaluated: a refusal is the same on every replica", () => {
    const bad = { success: [put("never", "x"), create(RequestOpSchema, { op: { case: "get", value: { key: new Uint8Array() } } })] };
    const answered = temp.fsm.applyBatch([txnEntry(11, bad)], () => true)[0];
    const notAnswered = temp.fsm.applyBatch([txnEntry(12, bad)], () => false)[0];
    expect(answered?.kind).toBe("error");
    expect(notAnswered?.kind).toBe("error");
    expect(temp.fsm.get(bytes("never"))).toBeUndefined();
  });
});
