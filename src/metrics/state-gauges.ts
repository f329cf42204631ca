import { Counter, Gauge, type Registry } from "prom-client";
import type { EngineRole, EngineStatus } from "../engine/engine.ts";
import type { PeerReplication, RaftSnapshotStats } from "../engine/raft-engine.ts";
import type { DbSpace } from "../fsm/db-space.ts";
import type { QuotaAlarm } from "../fsm/kv-types.ts";
import type { ClientConnectionCounts } from "../server/client-connection-counts.ts";
import type { BuildInfo } from "../version/build-info.ts";

/** What the gauges read at scrape time; nothing here is computed per request. */
export interface StateSources {
  status(): EngineStatus;
  peers(): readonly PeerReplication[];
  snapshotStats(): RaftSnapshotStats;
  dbSpace(): DbSpace;
  quotaAlarm(): QuotaAlarm;
  leaseCount(): number;
  watchCount(): number;
  /** Seconds until each TLS port's certificate expires (negative once it has); empty without TLS. */
  certificateExpiry(): { readonly client?: number; readonly raft?: number };
  /** Peer messages dropped before they reached the Raft core, per reason, since start. */
  peerRejections(): Readonly<Record<string, number>>;
  /** Raft port connections closed by the node (bad frames, no hello, past --max-peer-connections, ...), per reason. */
  peerConnectionRejections(): Readonly<Record<string, number>>;
  /** Client port connections open now, and connections or streams cut, per reason. */
  readonly clientConnections: ClientConnectionCounts;
  readonly quotaBytes: number;
}

const roles: readonly EngineRole[] = ["leader", "follower", "candidate", "precandidate", "learner", "shutdown"];

/**
 * Gauges set when Prometheus scrapes (prom-client's collect), from the
 * engine's and the state machine's own counters: a scrape costs a few
 * pragmas and a walk over the members, whatever the load.
 */
export function registerStateGauges(registry: Registry, sources: () => StateSources | undefined, build: BuildInfo): void {
  const registers = [registry];
  const gauge = (name: string, help: string, read: (s: StateSources) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const s = sources();
        if (s !== undefined) this.set(read(s));
      },
    });
  };
  gauge("raftkv_raft_term", "The current Raft term", (s) => s.status().term);
  gauge("raftkv_raft_commit_index", "The highest log index this node knows committed", (s) => s.status().commitIndex);
  gauge("raftkv_raft_applied_index", "The highest log index applied to the state machine", (s) => s.status().appliedIndex);
  gauge("raftkv_raft_last_log_index", "The index of the last entry in this node's log", (s) => s.status().lastLogIndex);
  gauge("raftkv_raft_has_leader", "1 when this node knows a leader (itself included), else 0", (s) => (s.status().leaderId === "" ? 0 : 1));
  new Gauge({
    name: "raftkv_raft_state",
    help: "1 for this node's current role, 0 for the others",
    labelNames: ["role"],
    registers,
    collect() {
      const s = sources();
      if (s === undefined) return;
      const current = s.status().role;
      for (const role of roles) this.set({ role }, role === current ? 1 : 0);
    },
  });
  const peerGauge = (name: string, help: string, read: (p: PeerReplication) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["peer"],
      registers,
      collect() {
        // Only the leader tracks its peers; elsewhere (and after a member left) the series disappear.
        this.reset();
        const s = sources();
        if (s === undefined) return;
        for (const peer of s.peers()) this.set({ peer: peer.id }, read(peer));
      },
    });
  };
  peerGauge(
    "raftkv_raft_peer_last_contact_seconds",
    "Leader only: seconds since each member last answered (to the 100 ms tick)",
    (p) => p.lastContactMs / 1000,
  );
  peerGauge("raftkv_raft_peer_replication_lag_entries", "Leader only: log entries the leader holds that each member is not known to have", (p) => p.lagEntries);
  gauge("raftkv_raft_snapshot_bytes", "Size of the newest snapshot this node holds", (s) => s.snapshotStats().latestBytes);
  gauge("raftkv_raft_snapshot_index", "Log index the newest snapshot covers", (s) => s.snapshotStats().latestIndex);
  gauge("raftkv_db_size_bytes", "Size of the state machine's database (page count × page size); compared with the quota", (s) => s.dbSpace().sizeBytes);
  gauge(
    "raftkv_db_size_in_use_bytes",
    "Part of the database holding data; the rest is free pages the background reclaimer gives back",
    (s) => s.dbSpace().inUseBytes,
  );
  gauge("raftkv_quota_bytes", "The disk quota (--quota-bytes) this node applies when it leads", (s) => s.quotaBytes);
  gauge("raftkv_quota_alarm", "1 while the replicated quota alarm is raised: writes that grow the store are refused", (s) => (s.quotaAlarm().active ? 1 : 0));
  gauge("raftkv_leases_open", "Leases granted and not yet revoked or expired", (s) => s.leaseCount());
  gauge("raftkv_watches_open", "Open Watch streams and blocking queries on this node", (s) => s.watchCount());
  const countsPerReason = (name: string, help: string, read: (s: StateSources) => Readonly<Record<string, number>>): void => {
    new Counter({
      name,
      help,
      labelNames: ["reason"],
      registers,
      collect() {
        const s = sources();
        if (s === undefined) return;
        // The counts are kept where the connections are; a counter only grows, so reset-then-add is exact.
        this.reset();
        for (const [reason, count] of Object.entries(read(s))) this.inc({ reason }, count);
      },
    });
  };
  countsPerReason(
    "raftkv_peer_messages_rejected_total",
    "Peer messages dropped before they reached the Raft core (a term out of bounds, a sender outside the configuration, a forged acknowledgement, ...), by reason",
    (s) => s.peerRejections(),
  );
  gauge("raftkv_client_connections", "Connections open on the client port", (s) => s.clientConnections.open);
  countsPerReason(
    "raftkv_client_connections_rejected_total",
    "Client port connections (or HTTP/2 streams) the node closed: past --max-client-connections, or too slow with their first bytes, headers or body, by reason",
    (s) => s.clientConnections.rejectedByReason(),
  );
  countsPerReason(
    "raftkv_peer_connections_rejected_total",
    "Raft port connections the node closed (garbage, no hello, a foreign cluster, past --max-peer-connections, a failed TLS handshake, ...), by reason",
    (s) => s.peerConnectionRejections(),
  );
  new Gauge({
    name: "raftkv_tls_certificate_expiry_seconds",
    help: "Seconds until the certificate served on each TLS port expires (negative once it has); absent without TLS",
    labelNames: ["port"],
    registers,
    collect() {
      this.reset();
      const s = sources();
      if (s === undefined) return;
      for (const [port, seconds] of Object.entries(s.certificateExpiry())) if (seconds !== undefined) this.set({ port }, seconds);
    },
  });
  const info = new Gauge({
    name: "raftkv_build_info",
    help: "Always 1; the labels say which raftkv this is",
    labelNames: ["version", "git_commit", "bun_version"],
    registers,
  });
  info.set({ version: build.version, git_commit: build.gitCommit, bun_version: build.bunVersion }, 1);
}
