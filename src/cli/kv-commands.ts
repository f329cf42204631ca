import { toJsonString } from "@bufbuild/protobuf";
import { defineCommand } from "citty";
import { prefixEnd } from "../client/key-bytes.ts";
import { DeleteResponseSchema, GetResponseSchema, PutResponseSchema } from "../gen/raftkv/v1/kv_pb.ts";
import { parseConsistencyName } from "../service/consistency.ts";
import { bytesArg, printableBytes } from "./bytes-arg.ts";
import { clientArgs } from "./client-args.ts";
import { positiveInteger } from "./flag-value.ts";
import { leaseIdArg } from "./lease-id-arg.ts";
import { outputFormatOf, renderTable } from "./output-format.ts";
import { commandTimeoutArgs, raftkvClientFrom } from "./raftkv-client-args.ts";
import { printRange } from "./range-printer.ts";

const consistencyArg = {
  type: "string",
  description: "linearizable (default), lease or stale",
} as const;

/** "\0" as a range end (or a start) means "no bound" in etcd's conventions. */
const unbounded = Uint8Array.of(0);

/**
 * The Delete range of every key under a prefix: [prefix, prefixEnd), open
 * above when the prefix is all 0xff bytes, and every key for an empty prefix
 * (etcd's `del "" --prefix`): the key may not be empty, "\0" is the least one.
 */
function prefixRange(prefix: Uint8Array): { key: Uint8Array; rangeEnd: Uint8Array } {
  const end = prefixEnd(prefix);
  return { key: prefix.length === 0 ? unbounded : prefix, rangeEnd: end.length === 0 ? unbounded : end };
}

export const putCommand = defineCommand({
  meta: { name: "put", description: "Write a key; prints the index it committed at" },
  args: {
    key: { type: "positional", required: true, description: "Key" },
    value: { type: "positional", required: true, description: "Value" },
    lease: { type: "string", description: "Attach the key to this lease id (see `raftkv lease grant`)" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    const lease = args.lease === undefined ? 0n : leaseIdArg("--lease", args.lease);
    const format = outputFormatOf(args);
    const answer = await raftkvClientFrom(args).put(bytesArg("key", args.key, hex), bytesArg("value", args.value, hex), { lease });
    if (format === "json") console.log(toJsonString(PutResponseSchema, answer));
    else if (format === "table") console.log(renderTable(["INDEX"], [[String(answer.index)]]));
    else console.log(String(answer.index));
  },
});

export const getCommand = defineCommand({
  meta: {
    name: "get",
    description: "Read a key; prints its value (exit code 1 when missing). With --prefix: every key under it, `key<TAB>value` per line, as scan",
  },
  args: {
    key: { type: "positional", required: true, description: 'Key (or prefix with --prefix; "" with --prefix = every key)' },
    prefix: { type: "boolean", description: "Print every key that starts with KEY, paging through all of them" },
    consistency: consistencyArg,
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    const format = outputFormatOf(args);
    const consistency = parseConsistencyName("--consistency", args.consistency);
    if (args.prefix === true) {
      const prefix = bytesArg("key", args.key, hex);
      await printRange(raftkvClientFrom(args), { prefix, limit: Number.POSITIVE_INFINITY, keysOnly: false, consistency, format, hex });
      return;
    }
    const answer = await raftkvClientFrom(args).get(bytesArg("key", args.key, hex), { consistency });
    if (format === "json") {
      console.log(toJsonString(GetResponseSchema, answer));
    } else if (format === "table") {
      const kv = answer.kv;
      const rows =
        answer.found && kv !== undefined
          ? [[printableBytes(kv.key, hex), printableBytes(kv.value, hex), String(kv.createIndex), String(kv.modIndex), String(kv.version), String(kv.lease)]]
          : [];
      console.log(renderTable(["KEY", "VALUE", "CREATE INDEX", "MOD INDEX", "VERSION", "LEASE"], rows));
      if (!answer.found) console.error(`key not found: ${args.key}`);
    } else if (answer.found && answer.kv !== undefined) {
      console.log(printableBytes(answer.kv.value, hex));
    } else {
      console.error(`key not found: ${args.key}`);
    }
    if (!answer.found) process.exitCode = 1;
  },
});

export const delCommand = defineCommand({
  meta: { name: "del", description: "Delete a key (or every key under it with --prefix, or [key, --range-end)); prints how many were deleted" },
  args: {
    key: { type: "positional", required: true, description: 'Key (or prefix with --prefix; "" with --prefix = every key)' },
    prefix: { type: "boolean", description: "Delete every key that starts with KEY" },
    "range-end": { type: "string", description: "Delete every key in [key, range-end)" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    const key = bytesArg("key", args.key, hex);
    if (args.prefix === true && args["range-end"] !== undefined) throw new Error("del: give --prefix or --range-end, not both");
    const rangeEnd = args["range-end"] === undefined ? new Uint8Array(0) : bytesArg("range-end", args["range-end"], hex);
    const range = args.prefix === true ? prefixRange(key) : { key, rangeEnd };
    const format = outputFormatOf(args);
    const answer = await raftkvClientFrom(args).delete(range.key, { rangeEnd: range.rangeEnd });
    if (format === "json") console.log(toJsonString(DeleteResponseSchema, answer));
    else if (format === "table") console.log(renderTable(["DELETED", "INDEX"], [[String(answer.deleted), String(answer.index)]]));
    else console.log(String(answer.deleted));
  },
});

export const scanCommand = defineCommand({
  meta: { name: "scan", description: "List keys under a prefix (all keys without one), one `key<TAB>value` per line, paging through everything" },
  args: {
    prefix: { type: "positional", required: false, description: "Key prefix" },
    limit: { type: "string", description: "Stop after this many keys" },
    "keys-only": { type: "boolean", description: "Print keys only" },
    consistency: consistencyArg,
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    await printRange(raftkvClientFrom(args), {
      prefix: bytesArg("prefix", args.prefix ?? "", hex),
      limit: args.limit === undefined ? Number.POSITIVE_INFINITY : positiveInteger("limit", args.limit),
      keysOnly: args["keys-only"] === true,
      consistency: parseConsistencyName("--consistency", args.consistency),
      format: outputFormatOf(args),
      hex,
    });
  },
});
