import { toJsonString } from "@bufbuild/protobuf";
import { defineCommand } from "citty";
import { CompactResponseSchema } from "../gen/raftkv/v1/kv_pb.ts";
import { clientArgs } from "./client-args.ts";
import { positiveInteger } from "./flag-value.ts";
import { outputFormatOf, renderTable } from "./output-format.ts";
import { commandTimeoutArgs, raftkvClientFrom } from "./raftkv-client-args.ts";

/** etcdctl compact: drop the watch history before an index, so its space can be reclaimed. */
export const compactCommand = defineCommand({
  meta: {
    name: "compact",
    description: "Drop the watch history before INDEX (watches from earlier indexes get `compacted`); the space goes back to the disk in the background",
  },
  args: {
    index: { type: "positional", required: true, description: "History before this index goes (at most the applied index)" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const index = BigInt(positiveInteger("index", args.index));
    const answer = await raftkvClientFrom(args).compact(index);
    switch (outputFormatOf(args)) {
      case "json":
        console.log(toJsonString(CompactResponseSchema, answer));
        return;
      case "table":
        console.log(renderTable(["COMPACT INDEX", "INDEX"], [[String(answer.compactIndex), String(answer.header?.index ?? 0n)]]));
        return;
      case "simple":
        console.log(`compacted history before index ${answer.compactIndex}`);
        return;
    }
  },
});
