import { create } from "@bufbuild/protobuf";
import type { KvRaftEngine } from "../engine/engine-launcher.ts";
import { defaultRaftTiming } from "../engine/timing.ts";
import type { KvStateMachine } from "../fsm/kv-state-machine.ts";
import { BuildInfoSchema, QuotaAlarmSchema, type StatusResponse } from "../gen/raftkv/v1/cluster_pb.ts";
import type { Logger } from "../log/logger.ts";
import { NodeMetrics } from "../metrics/node-metrics.ts";
import { FsyncMonitor } from "../ops/fsync-monitor.ts";
import { defaultQuotaBytes, QuotaGuard } from "../ops/quota-guard.ts";
import { evaluateReadiness, type ReadinessReport } from "../ops/readiness.ts";
import { SpaceReclaimer } from "../ops/space-reclaimer.ts";
import { StorageProbe } from "../ops/storage-probe.ts";
import { ClientConnectionCounts } from "../server/client-connection-counts.ts";
import type { HttpRoutes } from "../server/client-server.ts";
import type { HealthProbes } from "../server/health-service.ts";
import { createOpsRoutes, type MetricsAccess } from "../server/ops-routes.ts";
import type { WatchHub } from "../service/watch/index.ts";
import { buildInfo } from "../version/build-info.ts";
import type { NodeConfig } from "./node-config.ts";

/** What the operations side needs once the node's parts run. */
export interface OperatedParts {
  readonly engine: KvRaftEngine;
  readonly stateMachine: KvStateMachine;
  readonly watchHub: WatchHub;
  readonly certificateExpiry: () => { readonly client?: number; readonly raft?: number };
}

/**
 * A node's operations side: metrics, readiness and liveness, the disk
 * quota (the leader's alarm decisions), background space reclaiming and
 * slow-fsync warnings. Built before the engine (its metrics observe the
 * engine from the start), attached once the engine and state machine run.
 */
export class NodeOps {
  readonly metrics = new NodeMetrics(buildInfo());
  /** Counted by the client server, read by the metrics. */
  readonly clientConnections = new ClientConnectionCounts();
  readonly fsync: FsyncMonitor;
  readonly quotaBytes: number;
  private parts: OperatedParts | undefined;
  private quotaGuard: QuotaGuard | undefined;
  private reclaimer: SpaceReclaimer | undefined;
  private readonly storageProbe: StorageProbe;
  private stopping = false;
  /** A leader heard from (or a quorum answering) within this is current: the election timeout. */
  private readonly contactMs: number;

  constructor(
    private readonly config: NodeConfig,
    private readonly logger: Logger,
  ) {
    this.quotaBytes = config.quotaBytes ?? defaultQuotaBytes;
    this.fsync = new FsyncMonitor({ slowMs: config.slowFsyncMs, logger, onFsync: (ms) => this.metrics.disk.fsync(ms) });
    this.storageProbe = new StorageProbe(config.dataDir);
    const timing = { ...defaultRaftTiming, ...config.raftTiming };
    this.contactMs = Math.max(timing.heartbeatTimeoutMs, timing.electionTimeoutMs);
  }

  attach(parts: OperatedParts): void {
    this.parts = parts;
    const { engine, stateMachine, watchHub, certificateExpiry } = parts;
    this.metrics.attach({
      status: () => engine.status(),
      peers: () => engine.peerReplication(),
      snapshotStats: () => engine.snapshotStats(),
      dbSpace: () => stateMachine.dbSpace(),
      quotaAlarm: () => stateMachine.quotaAlarm(),
      leaseCount: () => stateMachine.leaseCount(),
      watchCount: () => watchHub.size,
      certificateExpiry,
      peerRejections: () => engine.peerMessageRejections(),
      peerConnectionRejections: () => engine.peerConnectionRejections(),
      clientConnections: this.clientConnections,
      quotaBytes: this.quotaBytes,
    });
    this.quotaGuard = new QuotaGuard(engine, stateMachine, { quotaBytes: this.quotaBytes, logger: this.logger });
    this.quotaGuard.start();
    this.reclaimer = new SpaceReclaimer(stateMachine, { onStep: (step) => this.metrics.disk.reclaimStep(step) });
    this.reclaimer.start();
  }

  readiness(): ReadinessReport {
    const parts = this.parts;
    if (parts === undefined) {
      return { ready: false, reason: "the node is starting", id: this.config.id, role: "", leader: "", term: 0, commitIndex: 0, appliedIndex: 0 };
    }
    const { engine } = parts;
    return evaluateReadiness(
      {
        failure: () => engine.failure(),
        shuttingDown: () => this.stopping,
        status: () => engine.status(),
        lastLeaderContactMs: () => engine.admin.status().lastContactMs,
        votersInContact: (withinMs) => {
          const voters = engine.membership().members.filter((m) => m.suffrage === "voter");
          const answered = new Set(
            engine
              .peerReplication()
              .filter((p) => p.lastContactMs <= withinMs)
              .map((p) => p.id),
          );
          const inContact = voters.filter((m) => m.id === engine.id || answered.has(m.id)).length;
          return { inContact, voters: voters.length };
        },
        storage: () => this.storageProbe.check(),
      },
      { contactMs: this.contactMs },
    );
  }

  /** Undefined while the node can serve; why not once its engine stopped. */
  livenessFailure(): string | undefined {
    const failure = this.parts?.engine.failure();
    return failure === undefined ? undefined : `the engine stopped after a storage failure: ${failure.message}`;
  }

  readonly healthProbes: HealthProbes = {
    ready: () => this.readiness().ready,
    live: () => this.livenessFailure() === undefined,
  };

  /** The ops endpoints; `metricsAccess` decides who may scrape (--metrics-auth). */
  routes(metricsAccess?: MetricsAccess): HttpRoutes {
    return createOpsRoutes({
      metrics: this.metrics,
      metricsAccess,
      readiness: () => this.readiness(),
      livenessFailure: () => this.livenessFailure(),
      logger: this.logger,
    });
  }

  /** Fills the operator's fields of a Cluster.Status answer. */
  readonly completeStatus = (response: StatusResponse): void => {
    const parts = this.parts;
    if (parts === undefined) return;
    const { stateMachine } = parts;
    const space = stateMachine.dbSpace();
    const alarm = stateMachine.quotaAlarm();
    const readiness = this.readiness();
    const build = buildInfo();
    response.dbSizeBytes = BigInt(space.sizeBytes);
    response.dbSizeInUseBytes = BigInt(space.inUseBytes);
    response.quotaBytes = BigInt(this.quotaBytes);
    response.fsyncP99Ms = this.fsync.p99Ms();
    response.alarm = create(QuotaAlarmSchema, {
      active: alarm.active,
      usedBytes: BigInt(alarm.usedBytes),
      quotaBytes: BigInt(alarm.quotaBytes),
      memberId: alarm.memberId,
      index: BigInt(alarm.index),
    });
    response.build = create(BuildInfoSchema, { version: build.version, gitCommit: build.gitCommit, bunVersion: build.bunVersion });
    response.reclaimLongestPauseMs = this.reclaimer?.longestPauseMs ?? 0;
    response.ready = readiness.ready;
    response.notReadyReason = readiness.reason;
    response.keys = BigInt(stateMachine.keyCount());
    response.readsTotal = BigInt(this.metrics.rpc.readsTotal);
  };

  /** The node is shutting down: not ready from now on; background work stops. */
  stop(): void {
    this.stopping = true;
    this.quotaGuard?.stop();
    this.reclaimer?.stop();
  }

  /** After the engine and state machine closed. */
  cleanUp(): void {
    this.storageProbe.cleanUp();
  }
}
