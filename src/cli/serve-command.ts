import { defineCommand } from "citty";
import { parseInitialCluster } from "../engine/bootstrap.ts";
import { Logger, parseLogFormat, parseLogLevel } from "../log/logger.ts";
import type { NodeConfig } from "../node/node-config.ts";
import { RaftkvNode } from "../node/raftkv-node.ts";
import { parseCorsAllowedOrigins } from "../server/cors-policy.ts";
import { parseAllowedHosts } from "../server/host-policy.ts";
import { defaultLimits } from "../service/limits.ts";
import { defaultHistoryRetentionEntries } from "../service/watch/index.ts";
import { parseBytes } from "../units/byte-size.ts";
import { connectionLimitArgs, connectionLimitsOf } from "./connection-limit-flags.ts";
import { DEFAULT_CLIENT_ADDRESS, DEFAULT_RAFT_ADDRESS } from "./default-addresses.ts";
import { parseDurationMs } from "./duration.ts";
import { envName, flagValue, positiveInteger } from "./flag-value.ts";
import { checkRaftTimingFlags } from "./raft-timing-flags.ts";
import { resourceLimitArgs, resourceLimitsOf } from "./resource-limit-flags.ts";
import { securityArgs, securityConfigFrom } from "./security-flags.ts";

const defaults = {
  id: "node1",
  "data-dir": "./raftkv-data",
  listen: DEFAULT_CLIENT_ADDRESS,
  "raft-listen": DEFAULT_RAFT_ADDRESS,
  "max-key-bytes": String(defaultLimits.maxKeyBytes),
  "max-value-bytes": String(defaultLimits.maxValueBytes),
  "max-request-bytes": String(defaultLimits.maxRequestBytes),
  "shutdown-grace": "5000",
  "heartbeat-timeout": "1000ms",
  "election-timeout": "1000ms",
  "leader-lease-timeout": "500ms",
  "snapshot-interval": "120s",
  "snapshot-threshold": "8192",
  "trailing-logs": "10240",
  "snapshots-retained": "3",
  "history-retention-entries": String(defaultHistoryRetentionEntries),
  "join-timeout": "30s",
  "shutdown-transfer-timeout": "5s",
  "quota-bytes": "8GiB",
  "slow-fsync-threshold": "100ms",
  "log-level": "info",
  "log-format": "text",
} as const;

type FlagName =
  | keyof typeof defaults
  | "advertise-client"
  | "advertise-raft"
  | "initial-cluster"
  | "join"
  | "leave-on-shutdown"
  | "cors-allowed-origins"
  | "allowed-hosts";

function describe(flag: FlagName, text: string): string {
  const fallback = flag in defaults ? ` (default ${defaults[flag as keyof typeof defaults]})` : "";
  return `${text}${fallback}; env ${envName(flag)}`;
}

export const serveCommand = defineCommand({
  meta: { name: "serve", description: `Run a raftkv node (no flags: a single-node cluster in ./raftkv-data on ${DEFAULT_CLIENT_ADDRESS})` },
  args: {
    id: { type: "string", description: describe("id", "This node's id, unique in the cluster") },
    "data-dir": { type: "string", description: describe("data-dir", "Directory for the Raft log, the state machine and snapshots") },
    listen: { type: "string", description: describe("listen", "Client address: gRPC, gRPC-Web, Connect and REST on one port") },
    "raft-listen": { type: "string", description: describe("raft-listen", "Raft peer address (peers connect here)") },
    "advertise-client": { type: "string", description: describe("advertise-client", "Client address other members and clients use (default: --listen)") },
    "advertise-raft": { type: "string", description: describe("advertise-raft", "Raft address other members use (default: --raft-listen)") },
    "initial-cluster": {
      type: "string",
      description: describe(
        "initial-cluster",
        "Static bootstrap of a new cluster: id=raftaddr,... listing every initial member (this node included); ignored once the data dir holds a log",
      ),
    },
    join: {
      type: "string",
      description: describe(
        "join",
        "Join a running cluster: comma list of members' client addresses; used only with an empty data dir (a node with data finds its cluster from its log)",
      ),
    },
    "join-timeout": { type: "string", description: describe("join-timeout", "Exit with an error if no member answers (and adds this node) within this time") },
    "leave-on-shutdown": {
      type: "boolean",
      description: describe("leave-on-shutdown", "Remove this node from the cluster configuration when stopped (SIGTERM/SIGINT)"),
    },
    "shutdown-transfer-timeout": {
      type: "string",
      description: describe("shutdown-transfer-timeout", "How long a stopping leader tries to hand over leadership (or a leaving node to be removed)"),
    },
    "cors-allowed-origins": {
      type: "string",
      description: describe(
        "cors-allowed-origins",
        "Origins whose web pages may call this node (gRPC-Web, Connect, REST): comma list of scheme://host[:port], or * for any; off when empty",
      ),
    },
    "allowed-hosts": {
      type: "string",
      description: describe(
        "allowed-hosts",
        "Host names the cleartext client port answers HTTP/1.1 for besides IPs, localhost and its own names (DNS rebinding): comma list, or * for any",
      ),
    },
    "max-key-bytes": { type: "string", description: describe("max-key-bytes", "Largest key accepted") },
    "max-value-bytes": { type: "string", description: describe("max-value-bytes", "Largest value accepted") },
    "max-request-bytes": { type: "string", description: describe("max-request-bytes", "Largest request message accepted") },
    ...resourceLimitArgs,
    ...connectionLimitArgs,
    "shutdown-grace": { type: "string", description: describe("shutdown-grace", "Milliseconds shutdown waits for in-flight requests") },
    "heartbeat-timeout": {
      type: "string",
      description: describe("heartbeat-timeout", "A follower that hears no leader this long campaigns (hashicorp's meaning)"),
    },
    "election-timeout": { type: "string", description: describe("election-timeout", "Floor of the randomized election timeout") },
    "leader-lease-timeout": {
      type: "string",
      description: describe(
        "leader-lease-timeout",
        "Leader lease for lease reads; must be below the heartbeat and election timeouts and at least one 100ms tick",
      ),
    },
    "snapshot-interval": { type: "string", description: describe("snapshot-interval", "Check for a snapshot at a random time between this and twice this") },
    "snapshot-threshold": {
      type: "string",
      description: describe("snapshot-threshold", "A check takes a snapshot if at least this many entries were applied since the last one"),
    },
    "trailing-logs": { type: "string", description: describe("trailing-logs", "Log entries kept behind a snapshot for slow followers") },
    "snapshots-retained": { type: "string", description: describe("snapshots-retained", "Snapshot files kept") },
    "history-retention-entries": {
      type: "string",
      description: describe("history-retention-entries", "Watch history kept for replay, in log indexes; the leader compacts older history"),
    },
    "quota-bytes": {
      type: "string",
      description: describe(
        "quota-bytes",
        "Disk quota of the state machine's database (e.g. 8GiB, 512MiB); over it, writes that grow the store are refused until space is reclaimed",
      ),
    },
    "slow-fsync-threshold": { type: "string", description: describe("slow-fsync-threshold", "A Raft log fsync slower than this logs a warning") },
    "log-level": { type: "string", description: describe("log-level", "debug, info, warn or error") },
    "log-format": { type: "string", description: describe("log-format", "text or json") },
    ...securityArgs,
  },
  async run({ args }) {
    const value = (flag: keyof typeof defaults): string => flagValue(args[flag], flag, defaults[flag]);
    const listen = value("listen");
    const raftListen = value("raft-listen");
    const connectionLimits = connectionLimitsOf(args);
    const config: NodeConfig = {
      id: value("id"),
      dataDir: value("data-dir"),
      listen,
      raftListen,
      advertiseClient: flagValue(args["advertise-client"], "advertise-client", listen),
      advertiseRaft: flagValue(args["advertise-raft"], "advertise-raft", raftListen),
      initialCluster: parseInitialCluster(flagValue(args["initial-cluster"], "initial-cluster", "")),
      join: flagValue(args.join, "join", "")
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e !== ""),
      joinTimeoutMs: parseDurationMs("join-timeout", value("join-timeout")),
      leaveOnShutdown: args["leave-on-shutdown"] === true || flagValue(undefined, "leave-on-shutdown", "false") === "true",
      shutdownTransferMs: parseDurationMs("shutdown-transfer-timeout", value("shutdown-transfer-timeout")),
      corsAllowedOrigins: parseCorsAllowedOrigins(flagValue(args["cors-allowed-origins"], "cors-allowed-origins", "")),
      allowedHosts: parseAllowedHosts(flagValue(args["allowed-hosts"], "allowed-hosts", "")),
      limits: {
        ...defaultLimits,
        maxKeyBytes: positiveInteger("max-key-bytes", value("max-key-bytes")),
        maxValueBytes: positiveInteger("max-value-bytes", value("max-value-bytes")),
        maxRequestBytes: positiveInteger("max-request-bytes", value("max-request-bytes")),
        ...resourceLimitsOf(args),
      },
      clientConnectionLimits: connectionLimits.client,
      maxPeerConnections: connectionLimits.maxPeerConnections,
      shutdownGraceMs: positiveInteger("shutdown-grace", value("shutdown-grace")),
      raftTiming: {
        heartbeatTimeoutMs: parseDurationMs("heartbeat-timeout", value("heartbeat-timeout")),
        electionTimeoutMs: parseDurationMs("election-timeout", value("election-timeout")),
        leaderLeaseMs: parseDurationMs("leader-lease-timeout", value("leader-lease-timeout")),
      },
      snapshots: {
        intervalMs: parseDurationMs("snapshot-interval", value("snapshot-interval")),
        thresholdEntries: positiveInteger("snapshot-threshold", value("snapshot-threshold")),
        trailingLogs: positiveInteger("trailing-logs", value("trailing-logs")),
        retain: positiveInteger("snapshots-retained", value("snapshots-retained")),
      },
      quotaBytes: parseBytes("quota-bytes", value("quota-bytes")),
      slowFsyncMs: parseDurationMs("slow-fsync-threshold", value("slow-fsync-threshold")),
      historyRetentionEntries: positiveInteger("history-retention-entries", value("history-retention-entries")),
      logLevel: parseLogLevel(value("log-level")),
      logFormat: parseLogFormat(value("log-format")),
      security: securityConfigFrom(args),
    };
    checkRaftTimingFlags(config.raftTiming ?? {});
    const logger = new Logger(config.logLevel, config.logFormat);
    const node = await RaftkvNode.start(config, logger);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info("shutting down", { signal });
        node.close().then(resolve, (error: unknown) => {
          logger.error("shutdown failed", { error });
          process.exitCode = 1;
          resolve();
        });
      };
      // Certificates and the token file are read again; a bad one is refused with a log line, the old one kept.
      process.on("SIGHUP", () => {
        logger.info("reloading certificates and tokens", { signal: "SIGHUP" });
        node.reloadSecurity();
      });
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
  },
});
