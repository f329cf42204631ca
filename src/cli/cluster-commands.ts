import { type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import { type ArgsDef, defineCommand } from "citty";
import { parseClientProtocol } from "../client/transport-for.ts";
import {
  AddNonvoterResponseSchema,
  AddVoterResponseSchema,
  BarrierResponseSchema,
  DemoteVoterResponseSchema,
  GetConfigurationResponseSchema,
  type Member,
  RemoveServerResponseSchema,
  SnapshotResponseSchema,
  StatusResponseSchema,
  Suffrage,
  TransferLeadershipResponseSchema,
  VerifyLeaderResponseSchema,
} from "../gen/raftkv/v1/cluster_pb.ts";
import { formatBytes } from "../units/byte-size.ts";
import { withCliErrors } from "./cli-error.ts";
import { clientArgs, credentialsFrom, endpointsFrom } from "./client-args.ts";
import { ClusterClient } from "./cluster-client.ts";
import { flagValue } from "./flag-value.ts";
import { outputFormatOf, renderTable, writeOutArgs } from "./output-format.ts";

const connectionArgs = {
  endpoints: clientArgs.endpoints,
  protocol: clientArgs.protocol,
  ...writeOutArgs,
  token: clientArgs.token,
  cacert: clientArgs.cacert,
  cert: clientArgs.cert,
  "cert-key": clientArgs["cert-key"],
} as const satisfies ArgsDef;

const prevIndexArg = {
  "prev-index": {
    type: "string",
    description: "Refuse the change unless the configuration is still the one at this index (see `raftkv cluster members`)",
  },
} as const satisfies ArgsDef;

function clusterFrom(args: { endpoints?: string; protocol?: string; token?: string; cacert?: string; cert?: string; "cert-key"?: string }): ClusterClient {
  const endpoints = endpointsFrom(args);
  return new ClusterClient(endpoints, parseClientProtocol(flagValue(args.protocol, "protocol", "grpc")), credentialsFrom(args));
}

function prevIndexOf(text: string | undefined): bigint {
  if (text === undefined || text === "") return 0n;
  if (!/^\d+$/.test(text.trim())) throw new Error(`--prev-index: expected a configuration index (a non-negative integer), got ${JSON.stringify(text)}`);
  return BigInt(text.trim());
}

function suffrageName(suffrage: Suffrage): string {
  switch (suffrage) {
    case Suffrage.VOTER:
      return "voter";
    case Suffrage.NONVOTER:
      return "nonvoter";
    case Suffrage.UNSPECIFIED:
      return "unspecified";
    default: {
      const unreachable: never = suffrage;
      return `suffrage ${String(unreachable)}`;
    }
  }
}

const memberHeaders = ["ID", "SUFFRAGE", "RAFT ADDRESS", "CLIENT ADDRESS", "LEADER"];

function memberRows(members: readonly Member[]): string[][] {
  return members.map((m) => [m.id, suffrageName(m.suffrage), m.raftAddress, m.clientAddress || "-", m.leader ? "*" : ""]);
}

/** One member per line, columns aligned: id, suffrage, raft address, client address, leader mark. */
function membersTable(members: readonly Member[]): string {
  const rows = [memberHeaders, ...memberRows(members)];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/**
 * -w json: the whole response as protobuf JSON; -w table: `table` (the
 * members by default); simple: the text lines.
 */
function print<Desc extends DescMessage>(
  args: { "write-out"?: string },
  schema: Desc,
  answer: MessageShape<Desc>,
  text: string,
  table?: { readonly headers: readonly string[]; readonly rows: readonly (readonly string[])[] },
): void {
  const format = outputFormatOf(args);
  if (format === "json") console.log(toJsonString(schema, answer));
  else if (format === "table") console.log(table === undefined ? text : renderTable(table.headers, table.rows));
  else console.log(text);
}

const statusCommand = defineCommand({
  meta: { name: "status", description: "The answering node's Raft status: state, leader, term, indexes, last contact, members and hashicorp-style stats" },
  args: { ...connectionArgs },
  async run({ args }) {
    const s = await clusterFrom(args).call((c) => c.status({}));
    const alarm =
      s.alarm?.active === true
        ? `NOSPACE (raised by ${s.alarm.memberId} at index ${s.alarm.index}: ${formatBytes(Number(s.alarm.usedBytes))} over ${formatBytes(Number(s.alarm.quotaBytes))})`
        : "none";
    const lines = [
      `id: ${s.id}`,
      `state: ${s.state}`,
      `leader: ${s.leaderId || "(none)"}${s.leaderClientAddress === "" ? "" : ` at ${s.leaderClientAddress}`}`,
      `term: ${s.term}`,
      `commit index: ${s.commitIndex}`,
      `applied index: ${s.appliedIndex}`,
      `last log: index ${s.lastLogIndex}, term ${s.lastLogTerm}`,
      `last snapshot index: ${s.lastSnapshotIndex}`,
      `last contact: ${s.lastContactMs < 0n ? "never" : `${s.lastContactMs} ms ago`}`,
      `configuration index: ${s.configurationIndex}`,
      `ready: ${s.ready ? "yes" : `no (${s.notReadyReason})`}`,
      `db size: ${formatBytes(Number(s.dbSizeBytes))} (${s.dbSizeBytes} bytes), in use ${formatBytes(Number(s.dbSizeInUseBytes))} (${s.dbSizeInUseBytes} bytes)`,
      `quota: ${formatBytes(Number(s.quotaBytes))} (${s.quotaBytes} bytes)`,
      `alarm: ${alarm}`,
      `keys: ${s.keys}`,
      `fsync p99: ${s.fsyncP99Ms.toFixed(2)} ms`,
      `longest space-reclaim pause: ${s.reclaimLongestPauseMs.toFixed(2)} ms`,
      `version: ${s.build?.version ?? "?"} (git ${s.build?.gitCommit ?? "?"}, Bun ${s.build?.bunVersion ?? "?"})`,
      membersTable(s.members),
      "stats:",
      ...Object.keys(s.stats)
        .sort()
        .map((key) => `  ${key}: ${s.stats[key] ?? ""}`),
    ];
    print(args, StatusResponseSchema, s, lines.join("\n"), {
      headers: ["ID", "STATE", "LEADER", "TERM", "APPLIED INDEX", "DB SIZE", "IN USE", "QUOTA", "FSYNC P99", "ALARM", "READY"],
      rows: [
        [
          s.id,
          s.state,
          s.leaderId || "-",
          String(s.term),
          String(s.appliedIndex),
          formatBytes(Number(s.dbSizeBytes)),
          formatBytes(Number(s.dbSizeInUseBytes)),
          formatBytes(Number(s.quotaBytes)),
          `${s.fsyncP99Ms.toFixed(2)} ms`,
          s.alarm?.active === true ? "NOSPACE" : "none",
          s.ready ? "yes" : "no",
        ],
      ],
    });
  },
});

const membersCommand = defineCommand({
  meta: { name: "members", description: "The replicated configuration: members with suffrage, addresses and the leader" },
  args: { ...connectionArgs },
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) => c.getConfiguration({}));
    print(args, GetConfigurationResponseSchema, answer, `configuration index ${answer.index}\n${membersTable(answer.members)}`, {
      headers: memberHeaders,
      rows: memberRows(answer.members),
    });
  },
});

const addArgs = {
  id: { type: "positional", required: true, description: "The server's id" },
  "raft-address": { type: "positional", required: true, description: "The server's raft address (host:port)" },
  "client-address": { type: "string", description: "The server's client address (host:port); the server advertises it itself once it runs" },
  ...prevIndexArg,
  ...connectionArgs,
} as const satisfies ArgsDef;

const addVoterCommand = defineCommand({
  meta: { name: "add-voter", description: "Add a voter (it enters as a nonvoter and is promoted once caught up)" },
  args: addArgs,
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) =>
      c.addVoter({ id: args.id, raftAddress: args["raft-address"], clientAddress: args["client-address"] ?? "", prevIndex: prevIndexOf(args["prev-index"]) }),
    );
    const how = answer.promotionPending ? "as a nonvoter; promotion to voter pending until it has caught up" : "as a voter";
    print(args, AddVoterResponseSchema, answer, `added ${args.id} ${how} (configuration index ${answer.index})\n${membersTable(answer.members)}`, {
      headers: memberHeaders,
      rows: memberRows(answer.members),
    });
  },
});

const addNonvoterCommand = defineCommand({
  meta: { name: "add-nonvoter", description: "Add a nonvoter (receives the log, never votes)" },
  args: addArgs,
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) =>
      c.addNonvoter({
        id: args.id,
        raftAddress: args["raft-address"],
        clientAddress: args["client-address"] ?? "",
        prevIndex: prevIndexOf(args["prev-index"]),
      }),
    );
    print(args, AddNonvoterResponseSchema, answer, `added ${args.id} as a nonvoter (configuration index ${answer.index})\n${membersTable(answer.members)}`, {
      headers: memberHeaders,
      rows: memberRows(answer.members),
    });
  },
});

const demoteCommand = defineCommand({
  meta: { name: "demote", description: "Demote a voter to a nonvoter" },
  args: { id: { type: "positional", required: true, description: "The voter's id" }, ...prevIndexArg, ...connectionArgs },
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) => c.demoteVoter({ id: args.id, prevIndex: prevIndexOf(args["prev-index"]) }));
    print(args, DemoteVoterResponseSchema, answer, `demoted ${args.id} (configuration index ${answer.index})\n${membersTable(answer.members)}`, {
      headers: memberHeaders,
      rows: memberRows(answer.members),
    });
  },
});

const removeCommand = defineCommand({
  meta: { name: "remove", description: "Remove a server from the configuration (a leader removing itself hands over leadership first)" },
  args: { id: { type: "positional", required: true, description: "The server's id" }, ...prevIndexArg, ...connectionArgs },
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) => c.removeServer({ id: args.id, prevIndex: prevIndexOf(args["prev-index"]) }));
    print(args, RemoveServerResponseSchema, answer, `removed ${args.id} (configuration index ${answer.index})\n${membersTable(answer.members)}`, {
      headers: memberHeaders,
      rows: memberRows(answer.members),
    });
  },
});

const transferCommand = defineCommand({
  meta: { name: "transfer-leader", description: "Hand leadership to a voter (default: the most up-to-date one); prints the new leader" },
  args: { id: { type: "positional", required: false, description: "The voter to hand leadership to" }, ...connectionArgs },
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) => c.transferLeadership({ id: args.id ?? "" }));
    print(args, TransferLeadershipResponseSchema, answer, `leader is now ${answer.newLeaderId}`);
  },
});

const snapshotCommand = defineCommand({
  meta: { name: "snapshot", description: "Take a snapshot on the answering node now; prints the index it covers" },
  args: { ...connectionArgs },
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) => c.snapshot({}));
    print(args, SnapshotResponseSchema, answer, `snapshot at index ${answer.index} on ${answer.header?.memberId ?? "?"}`);
  },
});

const barrierCommand = defineCommand({
  meta: { name: "barrier", description: "Wait until every entry before now is applied on the leader; prints that index" },
  args: { ...connectionArgs },
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) => c.barrier({}));
    print(args, BarrierResponseSchema, answer, `barrier at index ${answer.index}`);
  },
});

const verifyLeaderCommand = defineCommand({
  meta: { name: "verify-leader", description: "Succeeds only if the answering node leads and a quorum still follows it" },
  args: { ...connectionArgs },
  async run({ args }) {
    const answer = await clusterFrom(args).call((c) => c.verifyLeader({}));
    print(args, VerifyLeaderResponseSchema, answer, `${answer.header?.memberId ?? "?"} is the leader (term ${answer.header?.term ?? 0n})`);
  },
});

export const clusterCommand = defineCommand({
  meta: { name: "cluster", description: "Operate the cluster: status, members, membership changes, leadership transfer, snapshot, barrier, verify-leader" },
  subCommands: {
    status: withCliErrors(statusCommand),
    members: withCliErrors(membersCommand),
    "add-voter": withCliErrors(addVoterCommand),
    "add-nonvoter": withCliErrors(addNonvoterCommand),
    demote: withCliErrors(demoteCommand),
    remove: withCliErrors(removeCommand),
    "transfer-leader": withCliErrors(transferCommand),
    snapshot: withCliErrors(snapshotCommand),
    barrier: withCliErrors(barrierCommand),
    "verify-leader": withCliErrors(verifyLeaderCommand),
  },
});
