import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { defineCommand } from "citty";
import type { WatchUpdate } from "../client/watch-update.ts";
import { type Event, EventSchema, EventType, KeyValueSchema } from "../gen/raftkv/v1/kv_pb.ts";
import { bytesArg, printableBytes } from "./bytes-arg.ts";
import { clientArgs } from "./client-args.ts";
import { positiveInteger } from "./flag-value.ts";
import { outputFormatOf } from "./output-format.ts";
import { raftkvClientFrom } from "./raftkv-client-args.ts";

/** `PUT<TAB>index<TAB>key<TAB>value[<TAB>prev<TAB>value]`, `DELETE<TAB>index<TAB>key[...]`. */
export function eventLine(event: Event, hex: boolean): string {
  const kv = event.kv;
  const key = kv === undefined ? "" : printableBytes(kv.key, hex);
  const index = kv?.modIndex ?? 0n;
  const prev = event.prevKv === undefined ? "" : `\tprev\t${printableBytes(event.prevKv.value, hex)}`;
  switch (event.type) {
    case EventType.PUT:
      return `PUT\t${index}\t${key}\t${kv === undefined ? "" : printableBytes(kv.value, hex)}${prev}`;
    case EventType.DELETE:
      return `DELETE\t${index}\t${key}${prev}`;
    case EventType.UNSPECIFIED:
      return `UNKNOWN\t${index}\t${key}`;
    default: {
      const unreachable: never = event.type;
      return `UNKNOWN(${String(unreachable)})\t${index}\t${key}`;
    }
  }
}

function jsonLine(update: WatchUpdate): string {
  switch (update.kind) {
    case "events":
      return JSON.stringify({ kind: update.kind, index: String(update.index), events: update.events.map((e) => toJson(EventSchema, e)) });
    case "resynced":
      return JSON.stringify({ kind: update.kind, reason: update.reason, index: String(update.index), kvs: update.kvs.map((kv) => toJson(KeyValueSchema, kv)) });
    case "reconnecting":
      return JSON.stringify({
        kind: update.kind,
        endpoint: update.endpoint,
        code: Code[update.error.code],
        error: update.error.rawMessage,
        resumeIndex: String(update.resumeIndex),
      });
    case "connected":
      return JSON.stringify({ kind: update.kind, endpoint: update.endpoint, watchId: update.watchId, startIndex: String(update.startIndex) });
    case "progress":
      return JSON.stringify({ kind: update.kind, index: String(update.index) });
    case "compacted":
      return JSON.stringify({ kind: update.kind, compactIndex: String(update.compactIndex) });
    case "abandoned":
      return JSON.stringify({ kind: update.kind, restoredIndex: String(update.restoredIndex) });
    default: {
      const unreachable: never = update;
      throw new Error(`unknown watch update ${String(unreachable)}`);
    }
  }
}

export const watchCommand = defineCommand({
  meta: {
    name: "watch",
    description: "Print changes to a key (or --prefix, or [key, --range-end)), one line per event: PUT|DELETE, index, key, value; resumes across node failures",
  },
  args: {
    key: { type: "positional", required: true, description: 'Key (or prefix with --prefix; "" with --prefix = every key)' },
    prefix: { type: "boolean", description: "Watch every key starting with key" },
    "range-end": { type: "string", description: "Watch [key, range-end)" },
    "start-index": { type: "string", description: "Replay changes from this index (default: from now)" },
    "prev-kv": { type: "boolean", description: "Also print each event's previous value" },
    resync: { type: "boolean", description: "After compacted/abandoned, print the current keys (RESYNC/KV lines) and keep watching instead of exiting" },
    count: { type: "string", description: "Exit after this many events" },
    ...clientArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    // Watch prints a stream: json is one object per update; table reads as simple (one line per event).
    const json = outputFormatOf(args) === "json";
    const wanted = args.count === undefined ? Number.POSITIVE_INFINITY : positiveInteger("count", args.count);
    const startIndex = args["start-index"] === undefined ? 0n : BigInt(positiveInteger("start-index", args["start-index"]));
    const updates = raftkvClientFrom(args).watch(
      {
        key: bytesArg("key", args.key, hex),
        prefix: args.prefix === true,
        rangeEnd: args["range-end"] === undefined ? new Uint8Array(0) : bytesArg("range-end", args["range-end"], hex),
        startIndex,
        prevKv: args["prev-kv"] === true,
      },
      { resync: args.resync === true },
    );
    let seen = 0;
    for await (const update of updates) {
      if (json) console.log(jsonLine(update));
      switch (update.kind) {
        case "events":
          for (const event of update.events) {
            if (!json) console.log(eventLine(event, hex));
            seen++;
            if (seen >= wanted) return;
          }
          break;
        case "resynced":
          if (!json) {
            console.log(`RESYNC\t${update.index}\t${update.reason}`);
            for (const kv of update.kvs) console.log(`KV\t${kv.modIndex}\t${printableBytes(kv.key, hex)}\t${printableBytes(kv.value, hex)}`);
          }
          break;
        case "reconnecting":
          console.error(`watch: ${update.endpoint} failed (${Code[update.error.code]}: ${update.error.rawMessage}); resuming from index ${update.resumeIndex}`);
          break;
        case "compacted":
          if (args.resync === true) break;
          throw new ConnectError(
            `history before index ${update.compactIndex} is compacted; re-read, then watch with --start-index ${update.compactIndex} (or use --resync)`,
            Code.OutOfRange,
          );
        case "abandoned":
          if (args.resync === true) break;
          throw new ConnectError(
            `a snapshot restore at index ${update.restoredIndex} replaced the state; re-read from scratch (or use --resync)`,
            Code.Aborted,
          );
        case "connected":
        case "progress":
          break;
        default: {
          const unreachable: never = update;
          throw new Error(`unknown watch update ${String(unreachable)}`);
        }
      }
    }
  },
});
