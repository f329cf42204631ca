import { describe, expect, test } from "bun:test";
import { TxnInputError } from "../../src/cli/txn-input-error.ts";
import { hexWords, parseTxnInput } from "../../src/cli/txn-input-parser.ts";
import { CompareOp, type RequestOp, type TxnRequest } from "../../src/gen/raftkv/v1/kv_pb.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function errorOf(input: string): TxnInputError {
  try {
    parseTxnInput(input);
  } catch (error) {
    if (error instanceof TxnInputError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

function opSummary(op: RequestOp): string {
  const inner = op.op;
  switch (inner.case) {
    case "put":
      return `put ${new TextDecoder().decode(inner.value.key)}=${new TextDecoder().decode(inner.value.value)} lease=${inner.value.lease}`;
    case "delete":
      return `del ${new TextDecoder().decode(inner.value.key)}..${new TextDecoder().decode(inner.value.rangeEnd)}`;
    case "get":
      return `get ${new TextDecoder().decode(inner.value.key)}`;
    case "range":
      return `range prefix=${new TextDecoder().decode(inner.value.prefix)} start=${new TextDecoder().decode(inner.value.start)} limit=${inner.value.limit}`;
    default:
      return "?";
  }
}

function summary(request: TxnRequest): { success: string[]; failure: string[] } {
  return { success: request.success.map(opSummary), failure: request.failure.map(opSummary) };
}

describe("good input", () => {
  test("compares of every kind, both branches, comments", () => {
    const request = parseTxnInput(
      [
        "# take the lock if nobody holds it",
        'mod("lock") = 0',
        'value("owner") != "bob"',
        'version("counter") > 3',
        'create("k") < 10',
        'lease("k") = 7',
        'exists("k") = true',
        "",
        "put lock alice",
        'put --lease=42 "owner" "alice smith"',
        "",
        "get lock",
      ].join("\n"),
    );
    expect(request.compare.map((c) => [new TextDecoder().decode(c.key), c.op, c.target.case, c.target.value])).toEqual([
      ["lock", CompareOp.EQUAL, "modIndex", 0n],
      ["owner", CompareOp.NOT_EQUAL, "value", bytes("bob")],
      ["counter", CompareOp.GREATER, "version", 3n],
      ["k", CompareOp.LESS, "createIndex", 10n],
      ["k", CompareOp.EQUAL, "lease", 7n],
      ["k", CompareOp.EQUAL, "exists", true],
    ]);
    expect(summary(request)).toEqual({ success: ["put lock=alice lease=0", "put owner=alice smith lease=42"], failure: ["get lock"] });
  });

  test("short names and == like etcdctl", () => {
    const request = parseTxnInput('m("a") == 5\nc("a") > 1\nver("a") = 2\nval("a") = "x"\n');
    expect(request.compare.map((c) => c.target.case)).toEqual(["modIndex", "createIndex", "version", "value"]);
    expect(request.compare.every((c) => c.op !== CompareOp.UNSPECIFIED)).toBe(true);
  });

  test("empty sections: a leading blank line means no compares, two blank lines no success ops", () => {
    const request = parseTxnInput("\nput a 1\n\n");
    expect(request.compare).toHaveLength(0);
    expect(summary(request)).toEqual({ success: ["put a=1 lease=0"], failure: [] });
    const onlyFailure = parseTxnInput('mod("a") = 0\n\n\nput a 1');
    expect(summary(onlyFailure)).toEqual({ success: [], failure: ["put a=1 lease=0"] });
  });

  test("escapes in quoted strings, a compare over a range, CRLF line ends", () => {
    const request = parseTxnInput('value("a\\x00b", "a\\xff") = "tab\\there \\"q\\""\r\n\r\nput "k\\n" "\\\\"\r\n');
    const compare = request.compare[0];
    expect(compare?.key).toEqual(Uint8Array.of(0x61, 0, 0x62));
    expect(compare?.rangeEnd).toEqual(Uint8Array.of(0x61, 0xff));
    expect(compare?.target.value).toEqual(bytes('tab\there "q"'));
    const put = request.success[0]?.op;
    expect(put?.case === "put" ? [put.value.key, put.value.value] : undefined).toEqual([bytes("k\n"), bytes("\\")]);
  });

  test("del with a prefix or an explicit end; range by prefix or one key", () => {
    const request = parseTxnInput("\ndel --prefix dir/\ndel a c\ndel single\nrange --prefix --limit=5 dir/\nrange k\n");
    expect(summary(request).success).toEqual([
      "del dir/..dir0",
      "del a..c",
      "del single..",
      "range prefix=dir/ start= limit=5",
      "range prefix= start=k limit=0",
    ]);
    const one = request.success[4]?.op;
    // One key: [k, k + "\0").
    expect(one?.case === "range" ? one.value.end : undefined).toEqual(Uint8Array.of(0x6b, 0));
  });

  test("--hex takes bare words as hex bytes", () => {
    const request = parseTxnInput("\nput 6b01 ff00\n", hexWords);
    const put = request.success[0]?.op;
    expect(put?.case === "put" ? [put.value.key, put.value.value] : undefined).toEqual([Uint8Array.of(0x6b, 1), Uint8Array.of(0xff, 0)]);
  });
});

describe("bad input names the line, the column and what was expected", () => {
  test.each([
    ['valu("a") = 1', 1, 1, "one of value, version, create, mod, lease, exists"],
    ['mod("a") => 1', 1, 10, "expected a comparison operator"],
    ["mod(a) = 1", 1, 5, 'as a "quoted string"'],
    ['mod("a" = 1', 1, 9, "expected ) closing mod("],
    ['mod("a") = x', 1, 12, "a non-negative integer"],
    ['value("a") = 5', 1, 14, 'as a "quoted string"'],
    ['mod("a") = 1 extra', 1, 14, "unexpected"],
    ['value("a) = 1', 1, 7, "not closed"],
    ['value("a\\q") = "x"', 1, 9, "unknown escape"],
    ['exists("a") > true', 1, 13, "exists(...) takes only = or !="],
    ['exists("a") = yes', 1, 15, "expected true or false"],
    ["put a 1", 1, 1, "operations go after the blank line"],
    ['mod("a") = 0\n\nfrob a', 3, 1, "expected an operation in the success operations"],
    ['mod("a") = 0\n\nput a', 3, 6, "the value of put"],
    ['mod("a") = 0\n\nput a 1 2', 3, 9, "unexpected"],
    ['mod("a") = 0\n\nput --ttl=5 a 1', 3, 5, 'unknown option "--ttl=5"'],
    ['mod("a") = 0\n\nput --lease=x a 1', 3, 5, "--lease needs a non-negative integer"],
    ['\n\nget a\nmod("a") = 1', 4, 1, "compares go first"],
    // The third blank line would start a fourth section.
    ["\n\n\n\nget a", 3, 1, "a fourth section"],
    ['mod("a") = 0\n\ndel --prefix a b', 3, 17, "not both"],
  ])("%p", (input, line, column, message) => {
    const error = errorOf(input);
    expect(error.message).toContain(message);
    expect([error.line, error.column]).toEqual([line, column]);
  });

  test("a bad hex word in --hex mode", () => {
    expect(() => parseTxnInput("\nput zz 00\n", hexWords)).toThrow("even number of hex digits");
  });
});
