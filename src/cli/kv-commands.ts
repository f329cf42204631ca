import { create, toJsonString } from "@bufbuild/protobuf";
import { defineCommand } from "citty";
import {
  DeleteResponseSchema,
  GetResponseSchema,
  PutResponseSchema,
  RangeResponseSchema,
} from "../gen/raftkv/v1/kv_pb.ts";
import { parseConsistencyName } from "../service/consistency.ts";
import { bytesArg, printableBytes } from "./bytes-arg.ts";
import { clientArgs } from "./client-args.ts";
import { leaseIdArg } from "./lease-id-arg.ts";
import { commandTimeoutArgs, raftkvClientFrom } from "./raftkv-client-args.ts";
import { positiveInteger } from "./flag-value.ts";

const consistencyArg = {
  type: "string",
  description: "linearizable (default), lease or stale",
} as const;

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
    const answer = await raftkvClientFrom(args).put(bytesArg("key", args.key, hex), bytesArg("value", args.value, hex), { lease });
    console.log(args.json === true ? toJsonString(PutResponseSchema, answer) : String(answer.index));
  },
});

export const getCommand = defineCommand({
  meta: { name: "get", description: "Read a key; prints its value (exit code 1 when missing)" },
  args: {
    key: { type: "positional", required: true, description: "Key" },
    consistency: consistencyArg,
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    const answer = await raftkvClientFrom(args).get(bytesArg("key", args.key, hex), {
      consistency: parseConsistencyName("--consistency", args.consistency),
    });
    if (args.json === true) {
      console.log(toJsonString(GetResponseSchema, answer));
    } else if (answer.found && answer.kv !== undefined) {
      console.log(printableBytes(answer.kv.value, hex));
    } else {
      console.error(`key not found: ${args.key}`);
    }
    if (!answer.found) process.exitCode = 1;
  },
});

export const delCommand = defineCommand({
  meta: { name: "del", description: "Delete a key (or [key, --range-end)); prints how many were deleted" },
  args: {
    key: { type: "positional", required: true, description: "Key" },
    "range-end": { type: "string", description: "Delete every key in [key, range-end)" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    const rangeEnd = args["range-end"] === undefined ? new Uint8Array(0) : bytesArg("range-end", args["range-end"], hex);
    const answer = await raftkvClientFrom(args).delete(bytesArg("key", args.key, hex), { rangeEnd });
    console.log(args.json === true ? toJsonString(DeleteResponseSchema, answer) : String(answer.deleted));
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
    const client = raftkvClientFrom(args);
    const prefix = bytesArg("prefix", args.prefix ?? "", hex);
    const wanted = args.limit === undefined ? Number.POSITIVE_INFINITY : positiveInteger("limit", args.limit);
    const keysOnly = args["keys-only"] === true;
    let start: Uint8Array = new Uint8Array(0);
    let printed = 0;
    for (;;) {
      const page = await client.range({
        prefix,
        start,
        limit: Math.min(1000, wanted - printed),
        keysOnly,
        consistency: parseConsistencyName("--consistency", args.consistency),
      });
      if (args.json === true) {
        console.log(toJsonString(RangeResponseSchema, create(RangeResponseSchema, page)));
      } else {
        for (const kv of page.kvs) {
          const key = printableBytes(kv.key, hex);
          console.log(keysOnly ? key : `${key}\t${printableBytes(kv.value, hex)}`);
        }
      }
      printed += page.kvs.length;
      if (!page.more || printed >= wanted || page.nextKey.length === 0) break;
      start = page.nextKey;
    }
  },
});
