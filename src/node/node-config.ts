import type { InitialMember } from "../engine/bootstrap.ts";
import type { RaftTiming } from "../engine/timing.ts";
import type { LogFormat, LogLevel } from "../log/logger.ts";
import type { SecurityConfig } from "../security/security-config.ts";
import type { ClientConnectionLimits } from "../server/client-connection-limits.ts";
import type { Limits } from "../service/limits.ts";
import type { WatchQueueLimits } from "../service/watch/index.ts";

/** Everything a node needs to start; the CLI builds it from flags and RAFTKV_* variables. */
export interface NodeConfig {
  readonly id: string;
  readonly dataDir: string;
  /** Client address host:port (gRPC, gRPC-Web, Connect, REST). */
  readonly listen: string;
  /** Raft peer address host:port (used once the cluster engine lands). */
  readonly raftListen: string;
  readonly advertiseClient: string;
  readonly advertiseRaft: string;
  /**
   * Static bootstrap (`--initial-cluster id=raftaddr,...`): used only when the
   * data dir is empty. Absent or empty: a new node bootstraps itself alone.
   */
  readonly initialCluster?: readonly InitialMember[];
  /**
   * `--join`: client addresses of members of a running cluster. Used only
   * when the data dir holds no Raft state; the node then asks to be added as
   * a voter instead of bootstrapping.
   */
  readonly join?: readonly string[];
  /** How long a joining node waits for a member to answer (and to be added) before it exits (default 30 s). */
  readonly joinTimeoutMs?: number;
  /** `--leave-on-shutdown`: remove this node from the configuration before stopping. */
  readonly leaveOnShutdown?: boolean;
  /** How long shutdown waits for a leadership transfer (or a leave) before stopping anyway (default 5 s). */
  readonly shutdownTransferMs?: number;
  /** Raft timings in hashicorp's meanings; defaults in src/engine/timing.ts. */
  readonly raftTiming?: Partial<RaftTiming>;
  /** Watch history kept for replay, in log indexes (default 100000); the leader compacts older history. */
  readonly historyRetentionEntries?: number;
  /** How often the leader checks the history window (default 5 s). */
  readonly historyCompactionCheckMs?: number;
  /** Backlog a watcher may build before it is cut off as a slow consumer (defaults in src/service/watch/watch-hub.ts). */
  readonly watchQueueLimits?: Partial<WatchQueueLimits>;
  /** Snapshot policy; defaults (8192 entries, 120 s, 10240 trailing, 3 kept) when absent. */
  readonly snapshots?: SnapshotPolicy;
  /** `--quota-bytes`: over it the leader raises the replicated alarm and writes that grow the store are refused (default 8 GiB). */
  readonly quotaBytes?: number;
  /** `--slow-fsync-threshold`: a Raft log commit slower than this logs a warning (default 100 ms). */
  readonly slowFsyncMs?: number;
  /** `--cors-allowed-origins`: origins (or "*") whose pages may call the client port; empty or absent: CORS off. */
  readonly corsAllowedOrigins?: readonly string[];
  /** `--allowed-hosts`: Host names answered on the cleartext client port besides the node's own (or "*"). */
  readonly allowedHosts?: readonly string[];
  readonly limits: Limits;
  /** Connections, HTTP/2 streams and slow-client deadlines on the client port; each one absent takes its default. */
  readonly clientConnectionLimits?: Partial<ClientConnectionLimits>;
  /** `--max-peer-connections`: inbound connections the Raft port holds at once (default 64). */
  readonly maxPeerConnections?: number;
  /** How long shutdown waits for in-flight requests before closing connections. */
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** TLS on both ports, tokens and roles (see src/security/security-config.ts); absent: none. */
  readonly security?: SecurityConfig;
}

export interface SnapshotPolicy {
  readonly thresholdEntries: number;
  readonly intervalMs: number;
  readonly trailingLogs: number;
  readonly retain: number;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(field: string, text: string): HostPort {
  const at = text.lastIndexOf(":");
  const host = at > 0 ? text.slice(0, at).replace(/^\[(.*)\]$/, "$1") : "";
  const port = Number(at >= 0 ? text.slice(at + 1) : "NaN");
  if (host === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${field}: expected host:port (e.g. 127.0.0.1:40051), got ${JSON.stringify(text)}`);
  }
  return { host, port };
}
