import { defineCommand, runMain } from "citty";
import { delCommand, getCommand, putCommand, scanCommand } from "./kv-commands.ts";
import { benchCommand } from "./bench-command.ts";
import { clusterCommand } from "./cluster-commands.ts";
import { withCliErrors } from "./cli-error.ts";
import { serveCommand } from "./serve-command.ts";
import { leaseCommand } from "./lease-command.ts";
import { txnCommand } from "./txn-command.ts";
import { watchCommand } from "./watch-command.ts";

const main = withCliErrors(defineCommand({
  meta: {
    name: "raftkv",
    version: "0.1.0",
    description: "A strongly consistent, replicated key-value store (Raft + SQLite + gRPC/Connect)",
  },
  subCommands: {
    serve: withCliErrors(serveCommand),
    put: withCliErrors(putCommand),
    get: withCliErrors(getCommand),
    del: withCliErrors(delCommand),
    scan: withCliErrors(scanCommand),
    txn: withCliErrors(txnCommand),
    watch: withCliErrors(watchCommand),
    lease: withCliErrors(leaseCommand),
    cluster: withCliErrors(clusterCommand),
    bench: withCliErrors(benchCommand),
  },
}));

/** Parses the command line and runs the chosen command. */
export function runCli(): void {
  void runMain(main);
}
