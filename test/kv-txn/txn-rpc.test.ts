import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code } from "@connectrpc/connect";
import type { CompareSchema, RequestOpSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { CompareOp, type KV, type TxnResponse } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";
import { expectCode, kvClient, str, text } from "./support.ts";

type CompareInit = MessageInitShape<typeof CompareSchema>;
type OpInit = MessageInitShape<typeof RequestOpSchema>;

let node: RaftkvNode;
let dir: string;
let kv: Client<typeof KV>;
/** Index of the put that created "a" (never written again). */
let aIndex = 0n;
/** Indexes of the two puts of "b". */
let bCreate = 0n;
let bMod = 0n;

beforeAll(async () => {
  dir = tempDir("kv-txn-rpc");
  const started = await startTestNode(dir);
  node = started.node;
  kv = kvClient(started.endpoint);
  aIndex = (await kv.put({ key: text("a"), value: text("1") })).index;
  bCreate = (await kv.put({ key: text("b"), value: text("x") })).index;
  bMod = (await kv.put({ key: text("b"), value: text("y") })).index;
  for (const k of ["same/1", "same/2", "same/3"]) await kv.put({ key: text(k), value: text("s") });
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

function fingerprint(): string {
  const fsm = node.engine.stateMachine;
  return `${fsm.appliedIndex()}:${fsm.hash()}`;
}

async function succeeds(...compare: CompareInit[]): Promise<boolean> {
  return (await kv.txn({ compare })).succeeded;
}

const cmp = (key: string, op: CompareOp, target: CompareInit["target"], rangeEnd?: string): CompareInit => ({
  key: text(key),
  op,
  target,
  rangeEnd: rangeEnd === undefined ? undefined : text(rangeEnd),
});

describe("compare matrix", () => {
  test("value: =, !=, <, > (bytewise), on a key and on a missing key", async () => {
    expect(await succeeds(cmp("a", CompareOp.EQUAL, { case: "value", value: text("1") }))).toBe(true);
    expect(await succeeds(cmp("a", CompareOp.NOT_EQUAL, { case: "value", value: text("1") }))).toBe(false);
    expect(await succeeds(cmp("a", CompareOp.LESS, { case: "value", value: text("2") }))).toBe(true);
    expect(await succeeds(cmp("a", CompareOp.GREATER, { case: "value", value: text("2") }))).toBe(false);
    expect(await succeeds(cmp("a", CompareOp.GREATER, { case: "value", value: text("0") }))).toBe(true);
    // As in etcd: a value compare on a missing key fails, whatever the op (a missing value is not "").
    expect(await succeeds(cmp("missing", CompareOp.EQUAL, { case: "value", value: new Uint8Array(0) }))).toBe(false);
    expect(await succeeds(cmp("missing", CompareOp.NOT_EQUAL, { case: "value", value: text("1") }))).toBe(false);
    expect(await succeeds(cmp("missing", CompareOp.LESS, { case: "value", value: text("1") }))).toBe(false);
  });

  test("version, create_index and mod_index", async () => {
    expect(await succeeds(cmp("b", CompareOp.EQUAL, { case: "version", value: 2n }))).toBe(true);
    expect(await succeeds(cmp("b", CompareOp.LESS, { case: "version", value: 2n }))).toBe(false);
    expect(await succeeds(cmp("b", CompareOp.GREATER, { case: "version", value: 1n }))).toBe(true);
    expect(await succeeds(cmp("b", CompareOp.NOT_EQUAL, { case: "version", value: 2n }))).toBe(false);
    expect(await succeeds(cmp("b", CompareOp.EQUAL, { case: "createIndex", value: bCreate }))).toBe(true);
    expect(await succeeds(cmp("b", CompareOp.LESS, { case: "createIndex", value: bMod }))).toBe(true);
    expect(await succeeds(cmp("b", CompareOp.EQUAL, { case: "modIndex", value: bMod }))).toBe(true);
    expect(await succeeds(cmp("b", CompareOp.EQUAL, { case: "modIndex", value: bCreate }))).toBe(false);
    expect(await succeeds(cmp("a", CompareOp.EQUAL, { case: "modIndex", value: aIndex }))).toBe(true);
    // mod_index = 0 means "absent": the create-only CAS.
    expect(await succeeds(cmp("missing", CompareOp.EQUAL, { case: "modIndex", value: 0n }))).toBe(true);
    expect(await succeeds(cmp("a", CompareOp.EQUAL, { case: "modIndex", value: 0n }))).toBe(false);
    expect(await succeeds(cmp("missing", CompareOp.EQUAL, { case: "version", value: 0n }))).toBe(true);
  });

  test("lease and exists", async () => {
    expect(await succeeds(cmp("a", CompareOp.EQUAL, { case: "lease", value: 0n }))).toBe(true);
    expect(await succeeds(cmp("a", CompareOp.GREATER, { case: "lease", value: 0n }))).toBe(false);
    expect(await succeeds(cmp("a", CompareOp.EQUAL, { case: "exists", value: true }))).toBe(true);
    expect(await succeeds(cmp("missing", CompareOp.EQUAL, { case: "exists", value: true }))).toBe(false);
    expect(await succeeds(cmp("missing", CompareOp.NOT_EQUAL, { case: "exists", value: true }))).toBe(true);
    expect(await succeeds(cmp("missing", CompareOp.EQUAL, { case: "exists", value: false }))).toBe(true);
  });

  test("a range compare must hold for every key in [key, range_end); an empty range is one missing key", async () => {
    expect(await succeeds(cmp("same/", CompareOp.EQUAL, { case: "value", value: text("s") }, "same0"))).toBe(true);
    expect(await succeeds(cmp("same/", CompareOp.EQUAL, { case: "version", value: 1n }, "same0"))).toBe(true);
    await kv.put({ key: text("same/2"), value: text("t") });
    expect(await succeeds(cmp("same/", CompareOp.EQUAL, { case: "value", value: text("s") }, "same0"))).toBe(false);
    // As in etcd: on an empty range a value compare fails; the other targets compare zeros.
    expect(await succeeds(cmp("none/", CompareOp.EQUAL, { case: "value", value: text("s") }, "none0"))).toBe(false);
    expect(await succeeds(cmp("none/", CompareOp.NOT_EQUAL, { case: "value", value: text("s") }, "none0"))).toBe(false);
    expect(await succeeds(cmp("none/", CompareOp.EQUAL, { case: "version", value: 0n }, "none0"))).toBe(true);
    expect(await succeeds(cmp("none/", CompareOp.GREATER, { case: "modIndex", value: 0n }, "none0"))).toBe(false);
    expect(await succeeds(cmp("none/", CompareOp.EQUAL, { case: "exists", value: false }, "none0"))).toBe(true);
  });

  test("every compare must hold", async () => {
    const holds = cmp("a", CompareOp.EQUAL, { case: "value", value: text("1") });
    const fails = cmp("b", CompareOp.EQUAL, { case: "value", value: text("nope") });
    expect(await succeeds(holds, holds)).toBe(true);
    expect(await succeeds(holds, fails)).toBe(false);
    expect(await succeeds()).toBe(true);
  });
});

describe("operations", () => {
  const put = (key: string, value: string, prevKv = false): OpInit => ({ op: { case: "put", value: { key: text(key), value: text(value), prevKv } } });
  const get = (key: string): OpInit => ({ op: { case: "get", value: { key: text(key) } } });

  function opAt(response: TxnResponse, i: number) {
    const op = response.responses[i];
    if (op === undefined) throw new Error(`no response ${i} in ${response.responses.length}`);
    return op.op;
  }

  test("success branch: put with prev_kv, get sees the branch's earlier put, delete, delete-range, range; one index", async () => {
    await kv.put({ key: text("ops/k1"), value: text("old") });
    await kv.put({ key: text("ops/r1"), value: text("r") });
    await kv.put({ key: text("ops/r2"), value: text("r") });
    await kv.put({ key: text("ops/r3"), value: text("r") });
    const answer = await kv.txn({
      compare: [cmp("ops/k1", CompareOp.EQUAL, { case: "value", value: text("old") })],
      success: [
        put("ops/k1", "new", true),
        get("ops/k1"),
        { op: { case: "delete", value: { key: text("ops/r1"), prevKv: true } } },
        { op: { case: "range", value: { prefix: text("ops/"), limit: 2, keysOnly: true } } },
        { op: { case: "delete", value: { key: text("ops/r2"), rangeEnd: text("ops/r9") } } },
        get("ops/r3"),
      ],
      failure: [get("never")],
    });
    expect(answer.succeeded).toBe(true);
    expect(answer.responses.length).toBe(6);
    const index = answer.index;
    expect(answer.header?.index).toBe(index);

    const putAnswer = opAt(answer, 0);
    expect(putAnswer.case).toBe("put");
    if (putAnswer.case === "put") {
      expect(putAnswer.value.index).toBe(index);
      expect(str(putAnswer.value.prevKv?.value)).toBe("old");
    }
    const getAnswer = opAt(answer, 1);
    expect(getAnswer.case).toBe("get");
    if (getAnswer.case === "get") {
      expect(getAnswer.value.found).toBe(true);
      expect(str(getAnswer.value.kv?.value)).toBe("new");
      expect(getAnswer.value.kv?.modIndex).toBe(index);
      expect(getAnswer.value.kv?.version).toBe(2n);
    }
    const deleteAnswer = opAt(answer, 2);
    expect(deleteAnswer.case).toBe("delete");
    if (deleteAnswer.case === "delete") {
      expect(deleteAnswer.value.deleted).toBe(1n);
      expect(deleteAnswer.value.prevKvs.map((kv) => str(kv.key))).toEqual(["ops/r1"]);
    }
    const rangeAnswer = opAt(answer, 3);
    expect(rangeAnswer.case).toBe("range");
    if (rangeAnswer.case === "range") {
      expect(rangeAnswer.value.kvs.map((kv) => str(kv.key))).toEqual(["ops/k1", "ops/r2"]);
      expect(rangeAnswer.value.kvs.every((kv) => kv.value.length === 0)).toBe(true);
      expect(rangeAnswer.value.more).toBe(true);
      expect(rangeAnswer.value.count).toBe(3n);
    }
    const rangeDelete = opAt(answer, 4);
    expect(rangeDelete.case === "delete" ? rangeDelete.value.deleted : -1n).toBe(2n);
    const gone = opAt(answer, 5);
    expect(gone.case === "get" ? gone.value.found : true).toBe(false);

    // The state after the transaction, all at one index.
    const k1 = await kv.get({ key: text("ops/k1") });
    expect(k1.kv?.modIndex).toBe(index);
    expect((await kv.range({ prefix: text("ops/") })).kvs.map((kv) => str(kv.key))).toEqual(["ops/k1"]);
  });

  test("failure branch runs when a compare fails; the success branch writes nothing", async () => {
    const answer = await kv.txn({
      compare: [cmp("a", CompareOp.EQUAL, { case: "value", value: text("not 1") })],
      success: [put("fail/should-not-exist", "x")],
      failure: [get("a"), put("fail/written", "y")],
    });
    expect(answer.succeeded).toBe(false);
    expect(answer.responses.map((r) => r.op.case)).toEqual(["get", "put"]);
    const first = opAt(answer, 0);
    expect(first.case === "get" ? str(first.value.kv?.value) : "").toBe("1");
    expect((await kv.get({ key: text("fail/should-not-exist") })).found).toBe(false);
    expect(str((await kv.get({ key: text("fail/written") })).kv?.value)).toBe("y");
  });

  test("CAS on mod_index: create only, then update from the seen index, stale index refused", async () => {
    const casPut = (expected: bigint, value: string) =>
      kv.txn({ compare: [cmp("cas/k", CompareOp.EQUAL, { case: "modIndex", value: expected })], success: [put("cas/k", value)] });
    const created = await casPut(0n, "v1");
    expect(created.succeeded).toBe(true);
    expect((await casPut(0n, "again")).succeeded).toBe(false);
    const updated = await casPut(created.index, "v2");
    expect(updated.succeeded).toBe(true);
    expect((await casPut(created.index, "stale")).succeeded).toBe(false);
    expect(str((await kv.get({ key: text("cas/k") })).kv?.value)).toBe("v2");
  });
});

test("a state machine refusal (a put naming a lease that does not exist) is FailedPrecondition and applies none of the branch", async () => {
  const hashBefore = node.engine.stateMachine.hash();
  await expectCode(
    kv.txn({
      success: [
        { op: { case: "put", value: { key: text("atomic/first"), value: text("1") } } },
        { op: { case: "put", value: { key: text("atomic/second"), value: text("2"), lease: 987654n } } },
      ],
    }),
    Code.FailedPrecondition,
    "987654",
  );
  expect(node.engine.stateMachine.hash()).toBe(hashBefore);
  expect((await kv.get({ key: text("atomic/first") })).found).toBe(false);
});

describe("bad transactions are refused, name the field and the limit, and change nothing", () => {
  const big = new Uint8Array(1024 * 1024 + 1);
  const longKey = new Uint8Array(4097).fill(107);
  const okPut: OpInit = { op: { case: "put", value: { key: text("k"), value: text("v") } } };
  const cases: [string, () => Promise<unknown>, Code, string[]][] = [
    [
      "129 compares",
      () => kv.txn({ compare: Array.from({ length: 129 }, () => cmp("a", CompareOp.EQUAL, { case: "version", value: 1n })) }),
      Code.InvalidArgument,
      ["compare", "129", "128"],
    ],
    ["129 success ops", () => kv.txn({ success: Array.from({ length: 129 }, () => okPut) }), Code.InvalidArgument, ["success", "129", "128"]],
    ["129 failure ops", () => kv.txn({ failure: Array.from({ length: 129 }, () => okPut) }), Code.InvalidArgument, ["failure", "129", "128"]],
    [
      "empty compare key",
      () => kv.txn({ compare: [cmp("", CompareOp.EQUAL, { case: "version", value: 1n })] }),
      Code.InvalidArgument,
      ["compare[0].key", "empty"],
    ],
    [
      "long compare key",
      () => kv.txn({ compare: [{ key: longKey, op: CompareOp.EQUAL, target: { case: "version", value: 1n } }] }),
      Code.InvalidArgument,
      ["compare[0].key", "4097", "4096"],
    ],
    [
      "long compare range_end",
      () => kv.txn({ compare: [{ key: text("a"), rangeEnd: longKey, op: CompareOp.EQUAL, target: { case: "version", value: 1n } }] }),
      Code.InvalidArgument,
      ["compare[0].range_end", "4096"],
    ],
    ["compare op unset", () => kv.txn({ compare: [cmp("a", CompareOp.UNSPECIFIED, { case: "version", value: 1n })] }), Code.InvalidArgument, ["compare[0].op"]],
    ["compare op unknown", () => kv.txn({ compare: [cmp("a", 9 as CompareOp, { case: "version", value: 1n })] }), Code.InvalidArgument, ["compare[0].op", "9"]],
    ["compare target unset", () => kv.txn({ compare: [cmp("a", CompareOp.EQUAL, { case: undefined })] }), Code.InvalidArgument, ["compare[0].target"]],
    [
      "exists with LESS",
      () => kv.txn({ compare: [cmp("a", CompareOp.LESS, { case: "exists", value: true })] }),
      Code.InvalidArgument,
      ["compare[0].op", "exists"],
    ],
    [
      "compare value over 1 MiB",
      () => kv.txn({ compare: [cmp("a", CompareOp.EQUAL, { case: "value", value: big })] }),
      Code.InvalidArgument,
      ["compare[0].value", "1048577", "1048576"],
    ],
    [
      "negative compare lease",
      () => kv.txn({ compare: [cmp("a", CompareOp.EQUAL, { case: "lease", value: -1n })] }),
      Code.InvalidArgument,
      ["compare[0].lease"],
    ],
    [
      "put value over 1 MiB at success[3]",
      () => kv.txn({ success: [okPut, okPut, okPut, { op: { case: "put", value: { key: text("k"), value: big } } }] }),
      Code.InvalidArgument,
      ["success[3].put.value", "1048577", "1048576"],
    ],
    [
      "empty put key",
      () => kv.txn({ success: [{ op: { case: "put", value: { key: new Uint8Array(0), value: text("v") } } }] }),
      Code.InvalidArgument,
      ["success[0].put.key", "empty"],
    ],
    [
      "negative put lease",
      () => kv.txn({ success: [{ op: { case: "put", value: { key: text("k"), value: text("v"), lease: -5n } } }] }),
      Code.InvalidArgument,
      ["success[0].put.lease", "-5"],
    ],
    [
      "long delete key in failure",
      () => kv.txn({ failure: [okPut, { op: { case: "delete", value: { key: longKey } } }] }),
      Code.InvalidArgument,
      ["failure[1].delete.key", "4096"],
    ],
    [
      "empty delete key",
      () => kv.txn({ success: [{ op: { case: "delete", value: { key: new Uint8Array(0), rangeEnd: text("z") } } }] }),
      Code.InvalidArgument,
      ["success[0].delete.key", "empty"],
    ],
    ["empty get key", () => kv.txn({ success: [{ op: { case: "get", value: { key: new Uint8Array(0) } } }] }), Code.InvalidArgument, ["success[0].get.key"]],
    [
      "range limit over the page size",
      () => kv.txn({ success: [{ op: { case: "range", value: { prefix: text("a"), limit: 10_001 } } }] }),
      Code.InvalidArgument,
      ["success[0].range.limit", "10001", "10000"],
    ],
    [
      "long range prefix",
      () => kv.txn({ success: [{ op: { case: "range", value: { prefix: longKey } } }] }),
      Code.InvalidArgument,
      ["success[0].range.prefix", "4096"],
    ],
    ["operation unset", () => kv.txn({ success: [okPut, { op: { case: undefined } }] }), Code.InvalidArgument, ["success[1].op"]],
  ];
  for (const [name, call, code, words] of cases) {
    test(name, async () => {
      const before = fingerprint();
      await expectCode(call(), code, ...words);
      expect(fingerprint()).toBe(before);
    });
  }

  test("a whole request over 2 MiB is refused before decoding", async () => {
    const before = fingerprint();
    const third = new Uint8Array(800 * 1024);
    await expectCode(kv.txn({ success: [1, 2, 3].map((i) => ({ op: { case: "put", value: { key: text(`k${i}`), value: third } } })) }), Code.ResourceExhausted);
    expect(fingerprint()).toBe(before);
  });

  test("a compare's bad field is reported even when it sits after good ones", async () => {
    await expectCode(
      kv.txn({ compare: [cmp("a", CompareOp.EQUAL, { case: "version", value: 1n }), cmp("a", CompareOp.EQUAL, { case: undefined })] }),
      Code.InvalidArgument,
      "compare[1].target",
    );
  });
});

describe("Compact", () => {
  test("bounds: 0, above the applied index, at the applied index, below the compact index", async () => {
    await expectCode(kv.compact({ index: 0n }), Code.InvalidArgument, "index");
    const applied = BigInt(node.engine.stateMachine.appliedIndex());
    const above = applied + 1000n;
    await expectCode(kv.compact({ index: above }), Code.OutOfRange, String(above), "applied index");
    const target = applied - 2n;
    const compacted = await kv.compact({ index: target });
    expect(compacted.compactIndex).toBe(target);
    expect(compacted.header?.index).toBeGreaterThan(applied);
    await expectCode(kv.compact({ index: target - 1n }), Code.FailedPrecondition, String(target - 1n), String(target), "compact index");
    // Compacting at the current compact index again is harmless.
    expect((await kv.compact({ index: target })).compactIndex).toBe(target);
  });
});
