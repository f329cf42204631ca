import { existsSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { defineCommand } from "citty";
import { type BackupHeader, encodeBackupHeader, verifyBackupFile } from "../backup/backup-format.ts";
import { restoreDataDir } from "../backup/restore-data-dir.ts";
import { parseClientProtocol, transportFor } from "../client/transport-for.ts";
import { type BackupInfo, Maintenance } from "../gen/raftkv/v1/maintenance_pb.ts";
import { fsyncParentDir } from "../storage/fs-sync.ts";
import { formatBytes } from "../units/byte-size.ts";
import { withCliErrors } from "./cli-error.ts";
import { clientArgs, endpointsFrom } from "./client-args.ts";
import { DEFAULT_CLIENT_ADDRESS, DEFAULT_RAFT_ADDRESS } from "./default-addresses.ts";
import { parseDurationMs } from "./duration.ts";
import { envName, flagValue } from "./flag-value.ts";
import { outputFormatOf, renderTable, toJson, writeOutArgs } from "./output-format.ts";
import { ProgressLine } from "./progress-line.ts";

function headerOf(info: BackupInfo): BackupHeader {
  return {
    format: 1,
    index: Number(info.index),
    term: Number(info.term),
    size: Number(info.size),
    sha256: info.sha256,
    keys: Number(info.keys),
    clusterId: info.clusterId,
    memberId: info.memberId,
    compactIndex: Number(info.compactIndex),
    raftkvVersion: info.raftkvVersion,
    createdAtUnixMs: Number(info.createdAtUnixMs),
  };
}

function printHeader(args: { "write-out"?: string }, file: string, header: BackupHeader, verb: string): void {
  const fields: [string, string][] = [
    ["file", file],
    ["index", String(header.index)],
    ["term", String(header.term)],
    ["keys", String(header.keys)],
    ["size", `${formatBytes(header.size)} (${header.size} bytes)`],
    ["sha256", header.sha256],
    ["cluster", header.clusterId],
    ["member", header.memberId],
    ["compact index", String(header.compactIndex)],
    ["taken at", new Date(header.createdAtUnixMs).toISOString()],
    ["raftkv version", header.raftkvVersion],
  ];
  switch (outputFormatOf(args)) {
    case "json":
      console.log(toJson({ file, ...header }));
      return;
    case "table":
      console.log(
        renderTable(
          ["INDEX", "KEYS", "SIZE", "SHA256", "MEMBER", "TAKEN AT"],
          [
            [
              String(header.index),
              String(header.keys),
              formatBytes(header.size),
              header.sha256,
              header.memberId,
              new Date(header.createdAtUnixMs).toISOString(),
            ],
          ],
        ),
      );
      return;
    case "simple":
      if (verb !== "") console.log(verb);
      for (const [name, value] of fields) console.log(`${name}: ${value}`);
      return;
  }
}

/** Streams the backup into FILE.part, checks its size and SHA-256 against the header, then renames it into place. */
async function saveBackup(endpoint: string, file: string, protocol: string, timeoutMs: number, progress: ProgressLine): Promise<BackupHeader> {
  const client = createClient(Maintenance, transportFor(endpoint, parseClientProtocol(protocol)));
  const partial = `${file}.part`;
  const output = await open(partial, "w");
  let header: BackupHeader | undefined;
  try {
    const hasher = new Bun.CryptoHasher("sha256");
    let received = 0;
    for await (const message of client.backup({}, { timeoutMs })) {
      const item = message.item;
      if (item.case === "info") {
        header = headerOf(item.value);
        await output.write(encodeBackupHeader(header));
        progress.update(`saving a snapshot at index ${header.index} from ${header.memberId}: 0 of ${formatBytes(header.size)}`, true);
      } else if (item.case === "data") {
        if (header === undefined) throw new Error(`${endpoint} sent data before the backup's header`);
        hasher.update(item.value);
        received += item.value.length;
        await output.write(item.value);
        const percent = header.size === 0 ? 100 : Math.floor((received / header.size) * 100);
        progress.update(
          `saving a snapshot at index ${header.index} from ${header.memberId}: ${formatBytes(received)} of ${formatBytes(header.size)} (${percent}%)`,
        );
      }
    }
    progress.done();
    if (header === undefined) throw new Error(`${endpoint} ended the backup stream without sending anything`);
    if (received !== header.size) throw new Error(`the backup stream from ${endpoint} ended after ${received} of ${header.size} bytes`);
    const checksum = hasher.digest("hex");
    if (checksum !== header.sha256) throw new Error(`the data from ${endpoint} has sha256 ${checksum}, its header says ${header.sha256}`);
    await output.sync();
  } catch (error) {
    progress.done();
    await output.close();
    rmSync(partial, { force: true });
    throw error;
  }
  await output.close();
  renameSync(partial, file);
  fsyncParentDir(file);
  return header;
}

const saveCommand = defineCommand({
  meta: {
    name: "save",
    description: "Stream a consistent snapshot (at a linearizable point) from a member into FILE, with its index and sha256 recorded in the file",
  },
  args: {
    file: { type: "positional", required: true, description: "Where to write the backup (must not exist)" },
    endpoints: clientArgs.endpoints,
    protocol: clientArgs.protocol,
    ...writeOutArgs,
    timeout: { type: "string", description: `Give up after this long (default 10m: a backup streams the whole store); env ${envName("timeout")}` },
  },
  async run({ args }) {
    if (existsSync(args.file)) throw new Error(`${args.file} already exists; a backup never overwrites a file`);
    const timeoutMs = parseDurationMs("timeout", flagValue(args.timeout, "timeout", "10m"));
    const protocol = flagValue(args.protocol, "protocol", "grpc");
    const failures: string[] = [];
    for (const endpoint of endpointsFrom(args)) {
      try {
        const header = await saveBackup(endpoint, args.file, protocol, timeoutMs, new ProgressLine());
        printHeader(args, args.file, header, `saved a snapshot at index ${header.index} to ${args.file}`);
        return;
      } catch (error) {
        // Only an unreachable node moves on to the next endpoint; anything else is the answer.
        if (!(error instanceof ConnectError) || error.code !== Code.Unavailable) throw error;
        failures.push(`${endpoint}: ${error.rawMessage}`);
      }
    }
    throw new Error(`no endpoint could take the backup: ${failures.join("; ")}`);
  },
});

const statusCommand = defineCommand({
  meta: { name: "status", description: "Check a backup file (size and sha256) and print its index, keys, size and checksum" },
  args: {
    file: { type: "positional", required: true, description: "A file written by `raftkv snapshot save`" },
    ...writeOutArgs,
  },
  async run({ args }) {
    const { header } = await verifyBackupFile(args.file);
    printHeader(args, args.file, header, "");
  },
});

const restoreCommand = defineCommand({
  meta: {
    name: "restore",
    description:
      "Seed a new data dir (a new one-member cluster) from a backup; its index starts above any the old cluster reached; then `raftkv serve` it and grow it with --join",
  },
  args: {
    file: { type: "positional", required: true, description: "A file written by `raftkv snapshot save`" },
    "data-dir": { type: "string", description: "The new data dir (must be empty or absent; default ./raftkv-data)" },
    id: { type: "string", description: "The new cluster's first member (default node1); start it with this --id" },
    "advertise-raft": { type: "string", description: `Its raft address (default ${DEFAULT_RAFT_ADDRESS}; a node started elsewhere records its own)` },
    "advertise-client": { type: "string", description: `Its client address (default ${DEFAULT_CLIENT_ADDRESS})` },
    "bump-index": {
      type: "string",
      description:
        "Move the index up by this many entries (default: 1,000,000 per second of the backup's age plus a day, above anything the old cluster can have reached)",
    },
    ...writeOutArgs,
  },
  async run({ args }) {
    const dataDir = flagValue(args["data-dir"], "data-dir", "./raftkv-data");
    const id = flagValue(args.id, "id", "node1");
    const bumpText = args["bump-index"];
    if (bumpText !== undefined && !/^\d+$/.test(bumpText)) throw new Error(`--bump-index: expected a non-negative integer, got ${JSON.stringify(bumpText)}`);
    const result = await restoreDataDir({
      file: args.file,
      dataDir,
      id,
      raftAddress: flagValue(args["advertise-raft"], "advertise-raft", DEFAULT_RAFT_ADDRESS),
      clientAddress: flagValue(args["advertise-client"], "advertise-client", DEFAULT_CLIENT_ADDRESS),
      bumpIndex: bumpText === undefined ? undefined : Number(bumpText),
    });
    if (result.bump === 0) console.error("warning: --bump-index 0: indexes of the old cluster after the backup will be reused with other meanings");
    const summary = {
      dataDir,
      id,
      clusterId: result.clusterId,
      index: result.index,
      backupIndex: result.header.index,
      bump: result.bump,
      keys: result.header.keys,
    };
    switch (outputFormatOf(args)) {
      case "json":
        console.log(toJson(summary));
        return;
      case "table":
        console.log(
          renderTable(
            ["DATA DIR", "ID", "CLUSTER", "INDEX", "BACKUP INDEX", "KEYS"],
            [[dataDir, id, result.clusterId, String(result.index), String(result.header.index), String(result.header.keys)]],
          ),
        );
        return;
      case "simple":
        console.log(
          `restored ${result.header.keys} keys into ${dataDir}: member ${id} of new cluster ${result.clusterId}, at index ${result.index} ` +
            `(the backup's ${result.header.index} + ${result.bump}; earlier indexes read as compacted)\n` +
            `start it with: raftkv serve --id ${id} --data-dir ${dataDir}, then add members with --join`,
        );
        return;
    }
  },
});

export const snapshotCommand = defineCommand({
  meta: { name: "snapshot", description: "Backups: save (stream one from a running member), status (check a file), restore (seed a new cluster)" },
  subCommands: {
    save: withCliErrors(saveCommand),
    status: withCliErrors(statusCommand),
    restore: withCliErrors(restoreCommand),
  },
});
