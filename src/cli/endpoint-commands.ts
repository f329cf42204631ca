import { toJson as messageToJson } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { type ArgsDef, defineCommand } from "citty";
import { type ClientProtocol, parseClientProtocol, transportFor } from "../client/transport-for.ts";
import { Cluster, type StatusResponse, StatusResponseSchema } from "../gen/raftkv/v1/cluster_pb.ts";
import { Consistency, KV } from "../gen/raftkv/v1/kv_pb.ts";
import { errorMessage } from "../log/error-message.ts";
import { formatBytes } from "../units/byte-size.ts";
import { withCliErrors } from "./cli-error.ts";
import { clientArgs, endpointsFrom } from "./client-args.ts";
import { parseDurationMs } from "./duration.ts";
import { flagValue } from "./flag-value.ts";
import { green, outputFormatOf, red, renderTable, toJson, writeOutArgs } from "./output-format.ts";
import { commandTimeoutArgs } from "./raftkv-client-args.ts";

const endpointArgs = {
  endpoints: clientArgs.endpoints,
  protocol: clientArgs.protocol,
  cluster: { type: "boolean", description: "Ask the first endpoint that answers for the members and report on every one of them" },
  ...writeOutArgs,
  ...commandTimeoutArgs,
} as const satisfies ArgsDef;

interface Settings {
  readonly protocol: ClientProtocol;
  readonly timeoutMs: number;
}

function settingsOf(args: { protocol?: string; timeout?: string }): Settings {
  return {
    protocol: parseClientProtocol(flagValue(args.protocol, "protocol", "grpc")),
    timeoutMs: parseDurationMs("timeout", flagValue(args.timeout, "timeout", "5s")),
  };
}

function clusterClient(endpoint: string, settings: Settings): Client<typeof Cluster> {
  return createClient(Cluster, transportFor(endpoint, settings.protocol));
}

function describe(error: unknown): string {
  if (error instanceof ConnectError) return `${Code[error.code] ?? error.code}: ${error.rawMessage}`;
  return errorMessage(error);
}

/** --endpoints as given, or with --cluster every member's client address as the first endpoint that answers knows them. */
async function targetsOf(args: { endpoints?: string; cluster?: boolean }, settings: Settings): Promise<string[]> {
  const given = endpointsFrom(args);
  if (args.cluster !== true) return given;
  const failures: string[] = [];
  for (const endpoint of given) {
    try {
      const answer = await clusterClient(endpoint, settings).getConfiguration({}, { timeoutMs: settings.timeoutMs });
      const members = answer.members.map((m) => m.clientAddress).filter((address) => address !== "");
      if (members.length > 0) return members;
      failures.push(`${endpoint}: no member has a client address recorded yet`);
    } catch (error) {
      failures.push(`${endpoint}: ${describe(error)}`);
    }
  }
  throw new Error(`--cluster: no endpoint listed the members (${failures.join("; ")})`);
}

type StatusRow = { readonly endpoint: string; readonly status: StatusResponse } | { readonly endpoint: string; readonly error: string };

const statusCommand = defineCommand({
  meta: {
    name: "status",
    description:
      "Status of every endpoint (--cluster: of every member): id, version, db size, leader, term, index, alarm, errors; exit 1 if one does not answer",
  },
  args: endpointArgs,
  async run({ args }) {
    const settings = settingsOf(args);
    const targets = await targetsOf(args, settings);
    const rows: StatusRow[] = await Promise.all(
      targets.map(async (endpoint): Promise<StatusRow> => {
        try {
          return { endpoint, status: await clusterClient(endpoint, settings).status({}, { timeoutMs: settings.timeoutMs }) };
        } catch (error) {
          return { endpoint, error: describe(error) };
        }
      }),
    );
    const format = outputFormatOf(args, "table");
    if (format === "json") {
      console.log(toJson(rows.map((row) => ("status" in row ? { endpoint: row.endpoint, status: messageToJson(StatusResponseSchema, row.status) } : row))));
    } else {
      const cells = rows.map((row) => {
        if (!("status" in row)) return [row.endpoint, "", "", "", "", "", "", "", "", "", row.error];
        const s = row.status;
        const errors = [s.alarm?.active === true ? "alarm: NOSPACE" : "", s.ready ? "" : `not ready: ${s.notReadyReason}`].filter((e) => e !== "").join("; ");
        return [
          row.endpoint,
          s.id,
          s.build?.version ?? "",
          formatBytes(Number(s.dbSizeBytes)),
          formatBytes(Number(s.dbSizeInUseBytes)),
          String(s.leaderId === s.id),
          s.leaderId || "-",
          String(s.term),
          String(s.commitIndex),
          String(s.appliedIndex),
          errors,
        ];
      });
      const headers = ["ENDPOINT", "ID", "VERSION", "DB SIZE", "IN USE", "IS LEADER", "LEADER", "RAFT TERM", "RAFT INDEX", "APPLIED INDEX", "ERRORS"];
      if (format === "table") console.log(renderTable(headers, cells));
      else for (const row of cells) console.log(row.join(", "));
    }
    if (rows.some((row) => !("status" in row))) process.exitCode = 1;
  },
});

interface HealthRow {
  readonly endpoint: string;
  readonly health: boolean;
  readonly tookMs: number;
  readonly error: string;
}

/** etcdctl's check: a linearizable read (a quorum round through the leader) answered, and the node is ready. */
async function checkHealth(endpoint: string, settings: Settings): Promise<HealthRow> {
  const started = performance.now();
  try {
    const kv = createClient(KV, transportFor(endpoint, settings.protocol));
    await kv.get({ key: new TextEncoder().encode("health"), consistency: Consistency.LINEARIZABLE }, { timeoutMs: settings.timeoutMs });
    const tookMs = performance.now() - started;
    const status = await clusterClient(endpoint, settings).status({}, { timeoutMs: settings.timeoutMs });
    return { endpoint, health: status.ready, tookMs, error: status.ready ? "" : `not ready: ${status.notReadyReason}` };
  } catch (error) {
    return { endpoint, health: false, tookMs: performance.now() - started, error: describe(error) };
  }
}

const healthCommand = defineCommand({
  meta: {
    name: "health",
    description: "Whether every endpoint (--cluster: every member) serves a linearizable read and is ready; exit 1 if one is not",
  },
  args: endpointArgs,
  async run({ args }) {
    const settings = settingsOf(args);
    const targets = await targetsOf(args, settings);
    const rows = await Promise.all(targets.map((endpoint) => checkHealth(endpoint, settings)));
    const took = (ms: number): string => `${ms.toFixed(1)}ms`;
    switch (outputFormatOf(args)) {
      case "json":
        console.log(toJson(rows.map((row) => ({ ...row, tookMs: Math.round(row.tookMs * 10) / 10 }))));
        break;
      case "table":
        console.log(
          renderTable(
            ["ENDPOINT", "HEALTH", "TOOK", "ERROR"],
            rows.map((row) => [row.endpoint, row.health ? green("true") : red("false"), took(row.tookMs), row.error]),
          ),
        );
        break;
      case "simple":
        for (const row of rows) {
          if (row.health) console.log(`${row.endpoint} is ${green("healthy")}: a linearizable read took ${took(row.tookMs)}`);
          else console.log(`${row.endpoint} is ${red("unhealthy")}: ${row.error}`);
        }
        break;
    }
    if (rows.some((row) => !row.health)) process.exitCode = 1;
  },
});

export const endpointCommand = defineCommand({
  meta: { name: "endpoint", description: "Check endpoints: status (a table of every member with --cluster) and health" },
  subCommands: {
    status: withCliErrors(statusCommand),
    health: withCliErrors(healthCommand),
  },
});
