import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import type { ApplyResult, TxnOpResult } from "../../src/fsm/kv-types.ts";
import { type Compare, CompareOp, CompareSchema, type RequestOp, RequestOpSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { bytes, leaseGrantEntry, putEntry, text, txnEntry } from "./commands.ts";
import { TempStateMachine } from "./temp-state-machine.ts";

let temp: TempStateMachine;
let fsm: KvStateMachine;

beforeEach(() => {
  temp = new TempStateMachine();
  fsm = temp.fsm;
});

afterEach(() => {
  temp.close();
});

type CompareInit = MessageInitShape<typeof CompareSchema>;
type Target = NonNullable<CompareInit["target"]>;

function cmp(key: string, op: CompareOp, target: Target, rangeEnd?: Uint8Array): Compare {
  return create(CompareSchema, { key: bytes(key), op, target, rangeEnd: rangeEnd ?? new Uint8Array() });
}

const put = (key: string, value: string, opts: { lease?: bigint; prevKv?: boolean } = {}): RequestOp =>
  create(RequestOpSchema, {
    op: { case: "put", value: { key: bytes(key), value: bytes(value), lease: opts.lease ?? 0n, prevKv: opts.prevKv ?? false } },
  });
const del = (key: string, opts: { rangeEnd?: string; prevKv?: boolean } = {}): RequestOp =>
  create(RequestOpSchema, {
    op: {
      case: "delete",
      value: { key: bytes(key), rangeEnd: bytes(opts.rangeEnd ?? ""), prevKv: opts.prevKv ?? false },
    },
  });
const get = (key: string): RequestOp => create(RequestOpSchema, { op: { case: "get", value: { key: bytes(key) } } });
const range = (init: { prefix?: string; start?: string; end?: string; limit?: number; keysOnly?: boolean; countOnly?: boolean }) =>
  create(RequestOpSchema, {
    op: {
      case: "range",
      value: {
        prefix: bytes(init.prefix ?? ""),
        start: bytes(init.start ?? ""),
        end: bytes(init.end ?? ""),
        limit: init.limit ?? 0,
        keysOnly: init.keysOnly ?? false,
        countOnly: init.countOnly ?? false,
      },
    },
  });

function txnResult(result: ApplyResult | undefined): { succeeded: boolean; responses: readonly TxnOpResult[] } {
  if (result?.kind !== "txn") throw new Error(`expected a txn result, got ${JSON.stringify(result)}`);
  return result;
}

function errorMessage(result: ApplyResult | undefined): string {
  if (result?.kind !== "error") throw new Error(`expected an error result, got ${JSON.stringify(result?.kind)}`);
  return result.message;
}

describe("compare matrix", () => {
  // "k": created at 2, modified at 4 (version 2), value "m", lease 5.
  beforeEach(() => {
    fsm.applyBatch([putEntry(1, "other", "x"), putEntry(2, "k", "a"), leaseGrantEntry(3, 5n), putEntry(4, "k", "m", { lease: 5n })]);
  });

  // For each target: a value below, equal to and above k's state.
  const targets: [string, Target, Target, Target][] = [
    ["value", { case: "value", value: bytes("l") }, { case: "value", value: bytes("m") }, { case: "value", value: bytes("ma") }],
    ["version", { case: "version", value: 1n }, { case: "version", value: 2n }, { case: "version", value: 3n }],
    ["createIndex", { case: "createIndex", value: 1n }, { case: "createIndex", value: 2n }, { case: "createIndex", value: 3n }],
    ["modIndex", { case: "modIndex", value: 3n }, { case: "modIndex", value: 4n }, { case: "modIndex", value: 5n }],
    ["lease", { case: "lease", value: 4n }, { case: "lease", value: 5n }, { case: "lease", value: 6n }],
  ];
  // Expected outcome against [below, equal, above] per op.
  const expected: [string, CompareOp, [boolean, boolean, boolean]][] = [
    ["=", CompareOp.EQUAL, [false, true, false]],
    ["!=", CompareOp.NOT_EQUAL, [true, false, true]],
    ["<", CompareOp.LESS, [false, false, true]],
    [">", CompareOp.GREATER, [true, false, false]],
  ];

  for (const [targetName, below, equal, above] of targets) {
    for (const [opName, op, outcomes] of expected) {
      test(`${targetName} ${opName} against a lower, the same and a higher target`, () => {
        const results = fsm.applyBatch(
          [below, equal, above].map((target, i) => txnEntry(5 + i, { compare: [cmp("k", op, target)], success: [], failure: [] })),
        );
        expect(results.map((r) => txnResult(r).succeeded)).toEqual(outcomes);
      });
    }
  }

  test("a value compare on a missing key fails whatever the op and operand, as in etcd", () => {
    const ops = [CompareOp.EQUAL, CompareOp.NOT_EQUAL, CompareOp.LESS, CompareOp.GREATER];
    const operands = [new Uint8Array(), bytes("x")];
    const entries = ops.flatMap((op, i) =>
      operands.map((value, j) => txnEntry(5 + 2 * i + j, { compare: [cmp("missing", op, { case: "value", value })], success: [], failure: [] })),
    );
    expect(fsm.applyBatch(entries).map((r) => txnResult(r).succeeded)).toEqual(entries.map(() => false));
  });

  test("other targets see a missing key as version/create/mod/lease 0 and not existing", () => {
    const holds: [CompareOp, Target][] = [
      [CompareOp.EQUAL, { case: "version", value: 0n }],
      [CompareOp.EQUAL, { case: "createIndex", value: 0n }],
      [CompareOp.EQUAL, { case: "modIndex", value: 0n }],
      [CompareOp.LESS, { case: "modIndex", value: 4n }],
      [CompareOp.EQUAL, { case: "lease", value: 0n }],
      [CompareOp.EQUAL, { case: "exists", value: false }],
      [CompareOp.NOT_EQUAL, { case: "exists", value: true }],
    ];
    const fails: [CompareOp, Target][] = [
      [CompareOp.EQUAL, { case: "version", value: 1n }],
      [CompareOp.EQUAL, { case: "modIndex", value: 4n }],
      [CompareOp.GREATER, { case: "createIndex", value: 0n }],
      [CompareOp.EQUAL, { case: "exists", value: true }],
    ];
    const entries = [...holds, ...fails].map(([op, target], i) => txnEntry(5 + i, { compare: [cmp("missing", op, target)], success: [], failure: [] }));
    expect(fsm.applyBatch(entries).map((r) => txnResult(r).succeeded)).toEqual([...holds.map(() => true), ...fails.map(() => false)]);
  });

  test("exists = / != on an existing key; exists with < or > is refused", () => {
    const results = fsm.applyBatch([
      txnEntry(5, { compare: [cmp("k", CompareOp.EQUAL, { case: "exists", value: true })] }),
      txnEntry(6, { compare: [cmp("k", CompareOp.NOT_EQUAL, { case: "exists", value: true })] }),
      txnEntry(7, { compare: [cmp("k", CompareOp.LESS, { case: "exists", value: true })], success: [put("z", "1")] }),
      txnEntry(8, { compare: [cmp("k", CompareOp.UNSPECIFIED, { case: "version", value: 1n })] }),
      txnEntry(9, { compare: [create(CompareSchema, { key: bytes("k"), op: CompareOp.EQUAL })] }),
    ]);
    expect(results.slice(0, 2).map((r) => txnResult(r).succeeded)).toEqual([true, false]);
    expect(errorMessage(results[2])).toMatch(/entry 7: txn refused: compare\[0\] exists only takes EQUAL or NOT_EQUAL/);
    expect(errorMessage(results[3])).toMatch(/compare\[0\] has no op/);
    expect(errorMessage(results[4])).toMatch(/compare\[0\] has no target/);
    expect(fsm.get(bytes("z"))).toBeUndefined();
  });

  test("a range compare must hold for every key in [key, range_end)", () => {
    fsm.applyBatch([putEntry(5, "r/1", "v", { term: 1 }), putEntry(6, "r/2", "v"), putEntry(7, "r/3", "w")]);
    const rangeTxn = (index: number, target: Target, op: CompareOp, from: string, end: Uint8Array) =>
      txnEntry(index, { compare: [cmp(from, op, target, end)] });
    const results = fsm.applyBatch([
      rangeTxn(8, { case: "value", value: bytes("v") }, CompareOp.EQUAL, "r/", bytes("r/3")),
      rangeTxn(9, { case: "value", value: bytes("v") }, CompareOp.EQUAL, "r/", bytes("r0")),
      rangeTxn(10, { case: "modIndex", value: 8n }, CompareOp.LESS, "r/", bytes("r0")),
      // [0x00] = every key from "r/" on, "other" and "r/*" included.
      rangeTxn(11, { case: "createIndex", value: 0n }, CompareOp.GREATER, "", new Uint8Array([0])),
      rangeTxn(12, { case: "createIndex", value: 2n }, CompareOp.GREATER, "", new Uint8Array([0])),
      rangeTxn(13, { case: "exists", value: true }, CompareOp.EQUAL, "r/", bytes("r0")),
      rangeTxn(14, { case: "exists", value: false }, CompareOp.EQUAL, "r/", bytes("r0")),
    ]);
    expect(results.map((r) => txnResult(r).succeeded)).toEqual([true, false, true, true, false, true, false]);
  });

  test("an empty range is judged as one missing key, as in etcd: value fails, other targets compare zeros", () => {
    const empty = bytes("s0");
    const rangeTxn = (index: number, op: CompareOp, target: Target, from = "s/", end = empty) => txnEntry(index, { compare: [cmp(from, op, target, end)] });
    const results = fsm.applyBatch([
      rangeTxn(5, CompareOp.EQUAL, { case: "value", value: bytes("") }),
      rangeTxn(6, CompareOp.NOT_EQUAL, { case: "value", value: bytes("x") }),
      rangeTxn(7, CompareOp.EQUAL, { case: "version", value: 0n }),
      rangeTxn(8, CompareOp.GREATER, { case: "version", value: 5n }),
      rangeTxn(9, CompareOp.LESS, { case: "modIndex", value: 1n }),
      rangeTxn(10, CompareOp.EQUAL, { case: "lease", value: 0n }),
      rangeTxn(11, CompareOp.EQUAL, { case: "exists", value: false }),
      rangeTxn(12, CompareOp.EQUAL, { case: "exists", value: true }),
      // An inverted range is empty too; so is [key, 0x00) over keys that all sort before key.
      rangeTxn(13, CompareOp.NOT_EQUAL, { case: "value", value: bytes("nope") }, "r0", bytes("r/")),
      rangeTxn(14, CompareOp.EQUAL, { case: "version", value: 0n }, "r0", bytes("r/")),
      rangeTxn(15, CompareOp.EQUAL, { case: "value", value: bytes("") }, "zzz", new Uint8Array([0])),
      rangeTxn(16, CompareOp.EQUAL, { case: "createIndex", value: 0n }, "zzz", new Uint8Array([0])),
    ]);
    expect(results.map((r) => txnResult(r).succeeded)).toEqual([false, false, true, false, true, true, true, false, false, true, false, true]);
  });

  test("every compare must hold; no compares means success", () => {
    const results = fsm.applyBatch([
      txnEntry(5, {
        compare: [cmp("k", CompareOp.EQUAL, { case: "value", value: bytes("m") }), cmp("other", CompareOp.EQUAL, { case: "version", value: 2n })],
        success: [put("s", "1")],
        failure: [put("f", "1")],
      }),
      txnEntry(6, { success: [put("s2", "1")], failure: [put("f2", "1")] }),
    ]);
    expect(results.map((r) => txnResult(r).succeeded)).toEqual([false, true]);
    expect([fsm.get(bytes("s")), fsm.get(bytes("s2"))?.modIndex]).toEqual([undefined, 6]);
    expect([fsm.get(bytes("f"))?.modIndex, fsm.get(bytes("f2"))]).toEqual([5, undefined]);
  });
});

describe("operations", () => {
  beforeEach(() => {
    fsm.applyBatch([putEntry(1, "p/a", "1"), putEntry(2, "p/b", "2"), putEntry(3, "p/c", "3"), leaseGrantEntry(4, 9n)]);
  });

  test("put with lease and prev, delete-range with prevs, all at the txn's index", () => {
    const [result] = fsm.applyBatch([
      txnEntry(5, {
        success: [
          put("p/a", "one", { prevKv: true, lease: 9n }),
          put("new", "n", { prevKv: true }),
          del("p/b", { rangeEnd: "p/d", prevKv: true }),
          del("missing"),
        ],
      }),
    ]);
    const txn = txnResult(result);
    expect(txn.succeeded).toBe(true);
    expect(result?.index).toBe(5);
    const [overwrite, created, deletedRange, deletedNothing] = txn.responses;
    expect(overwrite?.kind === "put" && [text(overwrite.prev?.value), overwrite.prev?.modIndex]).toEqual(["1", 1]);
    expect(created).toEqual({ kind: "put" });
    expect(deletedRange?.kind === "delete" && [deletedRange.deleted, deletedRange.prevs.map((kv) => text(kv.key))]).toEqual([2, ["p/b", "p/c"]]);
    expect(deletedNothing).toEqual({ kind: "delete", deleted: 0, prevs: [] });
    expect(fsm.get(bytes("p/a"))).toMatchObject({ createIndex: 1, modIndex: 5, version: 2, lease: 9 });
    expect(fsm.get(bytes("new"))).toMatchObject({ createIndex: 5, modIndex: 5, version: 1, lease: 0 });
    expect(fsm.leaseKeys(9).map((k) => text(k))).toEqual(["p/a"]);
    expect(fsm.range({ start: bytes("p/"), end: bytes("p0"), limit: 0, keysOnly: true, countOnly: false }).count).toBe(1);
  });

  test("reads see the earlier operations of the same branch", () => {
    const [result] = fsm.applyBatch([
      txnEntry(5, {
        success: [
          get("p/a"),
          put("p/a", "changed"),
          get("p/a"),
          del("p/b"),
          put("p/d", "4"),
          range({ prefix: "p/" }),
          range({ prefix: "p/", limit: 1, keysOnly: true }),
          range({ prefix: "p/", countOnly: true }),
          put("p/a", "again"),
          get("p/a"),
          get("p/b"),
        ],
      }),
    ]);
    const r = txnResult(result).responses;
    const getValue = (op: TxnOpResult | undefined) => (op?.kind === "get" ? text(op.kv?.value) : "not a get");
    expect(getValue(r[0])).toBe("1");
    expect(getValue(r[2])).toBe("changed");
    const all = r[5]?.kind === "range" ? r[5].result : undefined;
    expect(all?.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`)).toEqual(["p/a=changed", "p/c=3", "p/d=4"]);
    expect(all?.count).toBe(3);
    const page = r[6]?.kind === "range" ? r[6].result : undefined;
    expect([page?.kvs.map((kv) => text(kv.key)), page?.kvs[0]?.value.length, page?.more, text(page?.nextKey), page?.count]).toEqual([
      ["p/a"],
      0,
      true,
      "p/c",
      3,
    ]);
    expect(r[7]).toEqual({ kind: "range", result: { kvs: [], more: false, count: 3 } });
    const twice = r[9]?.kind === "get" ? r[9].kv : undefined;
    expect([text(twice?.value), twice?.version, twice?.modIndex]).toEqual(["again", 3, 5]);
    expect(r[10]).toEqual({ kind: "get" });
  });

  test("range requests narrow the prefix with start/end; an end of 0x00 is an upper bound there", () => {
    const [result] = fsm.applyBatch([
      txnEntry(5, {
        success: [
          range({ prefix: "p/", start: "p/b" }),
          range({ prefix: "p/", end: "p/c" }),
          range({ start: "p/b", end: "p/c" }),
          range({ prefix: "p/", start: "p/z" }),
          range({ end: "\u0000" }),
        ],
      }),
    ]);
    const keys = txnResult(result).responses.map((op) => (op.kind === "range" ? op.result.kvs.map((kv) => text(kv.key)) : []));
    expect(keys).toEqual([["p/b", "p/c"], ["p/a", "p/b"], ["p/b"], [], []]);
  });

  test("the failure branch runs when a compare fails", () => {
    const [result] = fsm.applyBatch([
      txnEntry(5, {
        compare: [cmp("p/a", CompareOp.EQUAL, { case: "value", value: bytes("wrong") })],
        success: [put("p/a", "won")],
        failure: [get("p/a"), put("lost", "yes")],
      }),
    ]);
    const txn = txnResult(result);
    expect(txn.succeeded).toBe(false);
    expect(txn.responses.map((op) => op.kind)).toEqual(["get", "put"]);
    expect(text(fsm.get(bytes("p/a"))?.value)).toBe("1");
    expect(text(fsm.get(bytes("lost"))?.value)).toBe("yes");
  });

  test("compare-and-swap: create-only with mod_index = 0, then increments guarded by mod_index", () => {
    const casIncrement = (index: number, expectMod: bigint, next: number) =>
      txnEntry(index, {
        compare: [cmp("counter", CompareOp.EQUAL, { case: "modIndex", value: expectMod })],
        success: [put("counter", String(next))],
        failure: [get("counter")],
      });
    const results = fsm.applyBatch([
      casIncrement(5, 0n, 0),
      casIncrement(6, 0n, 100), // loses: the key exists now
      casIncrement(7, 5n, 1),
      casIncrement(8, 5n, 99), // stale mod index
      casIncrement(9, 7n, 2),
    ]);
    expect(results.map((r) => txnResult(r).succeeded)).toEqual([true, false, true, false, true]);
    expect(fsm.get(bytes("counter"))).toMatchObject({ value: bytes("2"), version: 3, createIndex: 5, modIndex: 9 });
  });
});

describe("atomicity", () => {
  beforeEach(() => {
    fsm.applyBatch([putEntry(1, "a", "1"), putEntry(2, "b", "2"), leaseGrantEntry(3, 1n)]);
  });

  const refused: [string, RequestOp[], RegExp][] = [
    ["a lease that does not exist", [put("a", "x"), del("b"), put("c", "3", { lease: 42n })], /success\[2\] put: lease 42 does not exist/],
    ["an empty key in a put", [put("a", "x"), put("", "3")], /success\[1\] put with an empty key/],
    ["an empty key in a delete", [del("a"), del("")], /success\[1\] delete with an empty key/],
    ["an empty key in a get", [put("a", "x"), get("")], /success\[1\] get with an empty key/],
    ["an operation without op", [put("a", "x"), create(RequestOpSchema, {})], /success\[1\] has no operation/],
  ];

  for (const [name, success, message] of refused) {
    test(`${name} refuses the whole txn after earlier writes; the rest of the batch applies`, () => {
      const events: number[] = [];
      fsm.onChange((notice) => {
        if (notice.kind === "applied") events.push(...notice.events.map((e) => e.kv.modIndex));
      });
      const results = fsm.applyBatch([txnEntry(4, { success }), putEntry(5, "after", "ok")]);
      expect(errorMessage(results[0])).toMatch(/^entry 4: txn refused: /);
      expect(errorMessage(results[0])).toMatch(message);
      expect(results[1]?.kind).toBe("put");
      expect(fsm.appliedIndex()).toBe(5);
      expect(events).toEqual([5]);
      expect(fsm.historySince(4, { start: new Uint8Array() }, 0)).toEqual({
        kind: "events",
        events: [{ type: "put", kv: expect.objectContaining({ key: bytes("after"), modIndex: 5 }) }],
        more: false,
      });
      expect(text(fsm.get(bytes("a"))?.value)).toBe("1");
      expect(fsm.get(bytes("b"))?.version).toBe(1);
      expect(fsm.leaseKeys(1)).toEqual([]);
      expect(fsm.range({ start: new Uint8Array(), limit: 0, keysOnly: true, countOnly: true }).count).toBe(3); // a, b, after
    });
  }

  test("a refused txn leaves the state fingerprint unchanged", () => {
    const before = fsm.hash();
    const [result] = fsm.applyBatch([txnEntry(4, { success: [put("a", "x"), del("b"), put("c", "3", { lease: 42n })] })]);
    expect(result?.kind).toBe("error");
    expect(fsm.hash()).toBe(before);
    expect(fsm.appliedIndex()).toBe(4);
  });
});
