import { create, toJsonString } from "@bufbuild/protobuf";
import type { RaftkvClient } from "../client/raftkv-client.ts";
import { type Consistency, RangeResponseSchema } from "../gen/raftkv/v1/kv_pb.ts";
import { printableBytes } from "./bytes-arg.ts";
import { type OutputFormat, renderTable } from "./output-format.ts";

export interface RangePrint {
  /** Every key that starts with it; empty = every key. */
  readonly prefix: Uint8Array;
  /** Stop after this many keys (Infinity: all of them). */
  readonly limit: number;
  readonly keysOnly: boolean;
  readonly consistency: Consistency;
  /** json: one RangeResponse per page; table: one table for all keys; simple: lines. */
  readonly format: OutputFormat;
  readonly hex: boolean;
}

/**
 * Prints the keys under a prefix, `key<TAB>value` (or the key alone) per
 * line, paging through all of them 1000 at a time: `scan` and `get --prefix`.
 * Each page is its own read at the requested consistency.
 */
export async function printRange(client: RaftkvClient, options: RangePrint): Promise<void> {
  let start: Uint8Array = new Uint8Array(0);
  let printed = 0;
  const tableRows: string[][] = [];
  for (;;) {
    const page = await client.range({
      prefix: options.prefix,
      start,
      limit: Math.min(1000, options.limit - printed),
      keysOnly: options.keysOnly,
      consistency: options.consistency,
    });
    if (options.format === "json") {
      console.log(toJsonString(RangeResponseSchema, create(RangeResponseSchema, page)));
    } else if (options.format === "table") {
      for (const kv of page.kvs) {
        const key = printableBytes(kv.key, options.hex);
        tableRows.push(options.keysOnly ? [key, String(kv.modIndex)] : [key, printableBytes(kv.value, options.hex), String(kv.modIndex)]);
      }
    } else {
      for (const kv of page.kvs) {
        const key = printableBytes(kv.key, options.hex);
        console.log(options.keysOnly ? key : `${key}\t${printableBytes(kv.value, options.hex)}`);
      }
    }
    printed += page.kvs.length;
    if (!page.more || printed >= options.limit || page.nextKey.length === 0) break;
    start = page.nextKey;
  }
  if (options.format === "table") console.log(renderTable(options.keysOnly ? ["KEY", "MOD INDEX"] : ["KEY", "VALUE", "MOD INDEX"], tableRows));
}
