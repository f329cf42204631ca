import { create } from "@bufbuild/protobuf";
import { prefixEnd } from "../client/key-bytes.ts";
import { type Compare, CompareOp, CompareSchema, type RequestOp, RequestOpSchema, type TxnRequest, TxnRequestSchema } from "../gen/raftkv/v1/kv_pb.ts";
import { TxnInputError } from "./txn-input-error.ts";
import { TxnLineScanner } from "./txn-line-scanner.ts";

/** How bare words become bytes: UTF-8 text, or hex with --hex. */
export type WordDecoder = (word: string) => Uint8Array;

export const utf8Words: WordDecoder = (word) => new TextEncoder().encode(word);

export const hexWords: WordDecoder = (word) => {
  if (!/^([0-9a-fA-F]{2})*$/.test(word)) throw new Error(`expected an even number of hex digits, got ${JSON.stringify(word)}`);
  return Uint8Array.from(word.match(/../g) ?? [], (pair) => parseInt(pair, 16));
};

const COMPARE_OPS: Readonly<Record<string, CompareOp>> = {
  "=": CompareOp.EQUAL,
  "==": CompareOp.EQUAL,
  "!=": CompareOp.NOT_EQUAL,
  "<": CompareOp.LESS,
  ">": CompareOp.GREATER,
};

type CompareTarget = "value" | "version" | "create_index" | "mod_index" | "lease" | "exists";

const TARGET_NAMES: Readonly<Record<string, CompareTarget>> = {
  value: "value",
  val: "value",
  version: "version",
  ver: "version",
  create: "create_index",
  create_index: "create_index",
  c: "create_index",
  mod: "mod_index",
  mod_index: "mod_index",
  m: "mod_index",
  lease: "lease",
  exists: "exists",
};

const SECTION_NAMES = ["compares", "success operations", "failure operations"] as const;

/**
 * Parses `raftkv txn` input (docs/cli-txn.md): compares, a blank line,
 * success operations, a blank line, failure operations. `#` lines are
 * comments. Every mistake is reported with its line and column.
 */
export function parseTxnInput(text: string, decodeWord: WordDecoder = utf8Words): TxnRequest {
  const request = create(TxnRequestSchema);
  let section = 0;
  const lines = text.split(/\r?\n/);
  // Blank lines at the very end separate nothing.
  while (lines.length > 0 && (lines[lines.length - 1] ?? "").trim() === "") lines.pop();
  lines.forEach((line, i) => {
    const lineNumber = i + 1;
    const trimmed = line.trim();
    if (trimmed.startsWith("#")) return;
    if (trimmed === "") {
      section++;
      if (section > 2) {
        throw new TxnInputError(
          lineNumber,
          1,
          "a fourth section: a transaction has three (compares, success operations, failure operations), separated by one blank line each",
        );
      }
      return;
    }
    const scanner = new TxnLineScanner(line, lineNumber);
    if (section === 0) request.compare.push(parseCompare(scanner));
    else if (section === 1) request.success.push(parseOperation(scanner, decodeWord, SECTION_NAMES[1]));
    else request.failure.push(parseOperation(scanner, decodeWord, SECTION_NAMES[2]));
  });
  return request;
}

/** Compare keys and values are always "quoted" (escapes for binary), as in etcdctl. */
function parseCompare(scanner: TxnLineScanner): Compare {
  const start = scanner.here();
  const name = scanner.identifier();
  const target = TARGET_NAMES[name];
  if (target === undefined) {
    const got = name === "" ? scanner.rest() : JSON.stringify(name);
    const hint = /^(put|del|delete|get|range)$/.test(name) ? " (operations go after the blank line that ends the compares)" : "";
    throw scanner.error(`expected a compare like mod("key") = 5: one of value, version, create, mod, lease, exists, got ${got}${hint}`, start);
  }
  scanner.expect("(", `( after ${name}`);
  const key = scanner.quoted(`the key of ${name}(...)`);
  let rangeEnd: Uint8Array = new Uint8Array(0);
  if (scanner.peek() === ",") {
    scanner.expect(",", ",");
    rangeEnd = scanner.quoted(`the range end of ${name}(...)`);
  }
  scanner.expect(")", `) closing ${name}(`);
  const opColumn = scanner.here();
  const opText = scanner.operator(Object.keys(COMPARE_OPS), "a comparison operator: =, !=, < or >");
  const op = COMPARE_OPS[opText] ?? CompareOp.UNSPECIFIED;
  const compare = create(CompareSchema, { key, op, rangeEnd });
  switch (target) {
    case "value":
      compare.target = { case: "value", value: scanner.quoted("the value to compare with") };
      break;
    case "version":
      compare.target = { case: "version", value: scanner.integer("a version") };
      break;
    case "create_index":
      compare.target = { case: "createIndex", value: scanner.integer("a create index") };
      break;
    case "mod_index":
      compare.target = { case: "modIndex", value: scanner.integer("a mod index") };
      break;
    case "lease":
      compare.target = { case: "lease", value: scanner.integer("a lease id") };
      break;
    case "exists": {
      if (op !== CompareOp.EQUAL && op !== CompareOp.NOT_EQUAL) throw scanner.error(`exists(...) takes only = or !=, got ${opText}`, opColumn);
      const wordColumn = scanner.here();
      const word = scanner.identifier();
      if (word !== "true" && word !== "false") {
        throw scanner.error(`expected true or false after exists(...) ${opText}, got ${word === "" ? scanner.rest() : JSON.stringify(word)}`, wordColumn);
      }
      compare.target = { case: "exists", value: word === "true" };
      break;
    }
    default: {
      const unreachable: never = target;
      throw scanner.error(`unknown compare target ${String(unreachable)}`);
    }
  }
  if (!scanner.atEnd()) throw scanner.error(`unexpected ${scanner.rest()} after the compare`);
  return compare;
}

interface FlagValue {
  readonly text: string;
  /** 0-based position of the flag, for errors about its value. */
  readonly column: number;
}

/** `--name` or `--name=value` flags before the operation's arguments. */
function readFlags(scanner: TxnLineScanner, verb: string, allowed: readonly string[]): Map<string, FlagValue> {
  const flags = new Map<string, FlagValue>();
  while (scanner.peek() === "-") {
    const column = scanner.here();
    const word = scanner.word();
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    const name = match?.[1];
    if (match === null || name === undefined || !allowed.includes(name)) {
      const known = allowed.length === 0 ? "none" : allowed.map((a) => `--${a}`).join(", ");
      throw scanner.error(`${verb}: unknown option ${JSON.stringify(word)} (options: ${known})`, column);
    }
    flags.set(name, { text: match[2] ?? "", column });
  }
  return flags;
}

function integerFlag(scanner: TxnLineScanner, flags: Map<string, FlagValue>, name: string): bigint | undefined {
  const flag = flags.get(name);
  if (flag === undefined) return undefined;
  if (!/^[0-9]+$/.test(flag.text)) {
    throw scanner.error(`--${name} needs a non-negative integer, e.g. --${name}=5, got ${JSON.stringify(flag.text)}`, flag.column);
  }
  return BigInt(flag.text);
}

function parseOperation(scanner: TxnLineScanner, decodeWord: WordDecoder, sectionName: string): RequestOp {
  const start = scanner.here();
  const verb = scanner.identifier();
  let op: RequestOp;
  switch (verb) {
    case "put": {
      const flags = readFlags(scanner, verb, ["lease", "prev-kv"]);
      const key = scanner.bytes("the key of put", decodeWord);
      const value = scanner.bytes("the value of put", decodeWord);
      op = create(RequestOpSchema, {
        op: { case: "put", value: { key, value, lease: integerFlag(scanner, flags, "lease") ?? 0n, prevKv: flags.has("prev-kv") } },
      });
      break;
    }
    case "del":
    case "delete": {
      const flags = readFlags(scanner, verb, ["prefix", "prev-kv"]);
      const key = scanner.bytes(`the key of ${verb}`, decodeWord);
      const explicitEnd = scanner.atEnd() ? undefined : scanner.bytes(`the range end of ${verb}`, decodeWord);
      if (flags.has("prefix") && explicitEnd !== undefined) throw scanner.error(`${verb}: give --prefix or a range end, not both`);
      const rangeEnd = flags.has("prefix") ? prefixEndOf(scanner, verb, key) : (explicitEnd ?? new Uint8Array(0));
      op = create(RequestOpSchema, { op: { case: "delete", value: { key, rangeEnd, prevKv: flags.has("prev-kv") } } });
      break;
    }
    case "get": {
      readFlags(scanner, verb, []);
      const key = scanner.bytes("the key of get", decodeWord);
      op = create(RequestOpSchema, { op: { case: "get", value: { key } } });
      break;
    }
    case "range": {
      const flags = readFlags(scanner, verb, ["prefix", "limit", "keys-only", "count-only"]);
      const first = scanner.bytes("the key (or prefix) of range", decodeWord);
      const end = scanner.atEnd() ? new Uint8Array(0) : scanner.bytes("the range end of range", decodeWord);
      if (flags.has("prefix") && end.length > 0) throw scanner.error("range: give --prefix or a range end, not both");
      const limit = integerFlag(scanner, flags, "limit");
      if (limit !== undefined && limit > 0xffffffffn) throw scanner.error(`range: --limit ${limit} is too large`);
      op = create(RequestOpSchema, {
        op: {
          case: "range",
          value: flags.has("prefix")
            ? { prefix: first, limit: Number(limit ?? 0n), keysOnly: flags.has("keys-only"), countOnly: flags.has("count-only") }
            : {
                start: first,
                end: end.length > 0 ? end : successorKey(first),
                limit: Number(limit ?? 0n),
                keysOnly: flags.has("keys-only"),
                countOnly: flags.has("count-only"),
              },
        },
      });
      break;
    }
    default: {
      const got = verb === "" ? scanner.rest() : JSON.stringify(verb);
      const hint = /^(value|val|version|ver|create|mod|lease|exists|c|m)$/.test(verb) ? " (compares go first, before the first blank line)" : "";
      throw scanner.error(`expected an operation in the ${sectionName}: put, del, get or range, got ${got}${hint}`, start);
    }
  }
  if (!scanner.atEnd()) throw scanner.error(`unexpected ${scanner.rest()} after the ${verb} operation (quote values with spaces: "a b")`);
  return op;
}

/** A delete's range needs an end: a prefix of only 0xff bytes (or none) has none. */
function prefixEndOf(scanner: TxnLineScanner, verb: string, key: Uint8Array): Uint8Array {
  const end = prefixEnd(key);
  if (end.length === 0) throw scanner.error(`${verb} --prefix needs a non-empty prefix (not only 0xff bytes)`);
  return end;
}

/** `range k` with no end reads the one key k: [k, k + "\x00"). */
function successorKey(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}
