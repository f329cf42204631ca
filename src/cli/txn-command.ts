import { readFileSync } from "node:fs";
import { toJsonString } from "@bufbuild/protobuf";
import { defineCommand } from "citty";
import { type ResponseOp, TxnResponseSchema } from "../gen/raftkv/v1/kv_pb.ts";
import { printableBytes } from "./bytes-arg.ts";
import { clientArgs } from "./client-args.ts";
import { outputFormatOf, renderTable } from "./output-format.ts";
import { commandTimeoutArgs, raftkvClientFrom } from "./raftkv-client-args.ts";
import { hexWords, parseTxnInput, utf8Words } from "./txn-input-parser.ts";

/** The lines `raftkv txn` prints for one operation's response. */
export function responseLines(response: ResponseOp, hex: boolean): string[] {
  const op = response.op;
  switch (op.case) {
    case "put":
      return [`OK ${op.value.index}`];
    case "delete":
      return [`DELETED ${op.value.deleted}`];
    case "get":
      return op.value.found && op.value.kv !== undefined
        ? [`${printableBytes(op.value.kv.key, hex)}\t${printableBytes(op.value.kv.value, hex)}`]
        : ["NOT FOUND"];
    case "range":
      if (op.value.kvs.length === 0) return [`COUNT ${op.value.count}`];
      return op.value.kvs.map((kv) => `${printableBytes(kv.key, hex)}\t${printableBytes(kv.value, hex)}`);
    case undefined:
      return [];
    default: {
      const unreachable: never = op;
      throw new Error(`unknown response ${String(unreachable)}`);
    }
  }
}

export const txnCommand = defineCommand({
  meta: {
    name: "txn",
    description: "Run a transaction read from stdin or --file: compares, blank line, success ops, blank line, failure ops (see docs/cli-txn.md)",
  },
  args: {
    file: { type: "string", description: "Read the transaction from this file instead of stdin (- = stdin)" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    const input = args.file === undefined || args.file === "-" ? await Bun.stdin.text() : readFileSync(args.file, "utf8");
    const request = parseTxnInput(input, hex ? hexWords : utf8Words);
    const format = outputFormatOf(args);
    const answer = await raftkvClientFrom(args).txn(request);
    if (format === "json") {
      console.log(toJsonString(TxnResponseSchema, answer));
      return;
    }
    if (format === "table") {
      const rows = answer.responses.flatMap((response) => responseLines(response, hex).map((line) => [line]));
      console.log(renderTable([answer.succeeded ? "SUCCESS" : "FAILURE"], rows));
      return;
    }
    console.log(answer.succeeded ? "SUCCESS" : "FAILURE");
    for (const response of answer.responses) for (const line of responseLines(response, hex)) console.log(line);
  },
});
