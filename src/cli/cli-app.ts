import { defineCommand, runMain } from "citty";
import { buildInfo } from "../version/build-info.ts";
import { benchCommand } from "./bench-command.ts";
import { withCliErrors } from "./cli-error.ts";
import { clusterCommand } from "./cluster-commands.ts";
import { compactCommand } from "./compact-command.ts";
import { endpointCommand } from "./endpoint-commands.ts";
import { delCommand, getCommand, putCommand, scanCommand } from "./kv-commands.ts";
import { leaseCommand } from "./lease-command.ts";
import { serveCommand } from "./serve-command.ts";
import { snapshotCommand } from "./snapshot-commands.ts";
import { txnCommand } from "./txn-command.ts";
import { versionCommand } from "./version-command.ts";
import { watchCommand } from "./watch-command.ts";

const main = withCliErrors(
  defineCommand({
    meta: {
      name: "raftkv",
      version: buildInfo().version,
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
      compact: withCliErrors(compactCommand),
      endpoint: withCliErrors(endpointCommand),
      snapshot: withCliErrors(snapshotCommand),
      bench: withCliErrors(benchCommand),
      version: withCliErrors(versionCommand),
    },
  }),
);

/** Parses the command line and runs the chosen command. */
export function runCli(): void {
  void runMain(main);
}
