import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Diagnostics } from "../gen/raftkv/v1/diagnostics_pb.ts";
import { KV } from "../gen/raftkv/v1/kv_pb.ts";
import { Lease } from "../gen/raftkv/v1/lease_pb.ts";
import { KvStateMachine } from "../fsm/kv-state-machine.ts";
import { RaftLogStore } from "../storage/raft-log-store.ts";
import { errorMessage } from "../storage/sqlite-file.ts";
import { FileSnapshotStore } from "../storage/snapshot-store.ts";
import { launchRaftEngine } from "../engine/raft-engine-launcher.ts";
import { hasData } from "../engine/raft-bootstrap.ts";
import { Cluster } from "../gen/raftkv/v1/cluster_pb.ts";
import { createClusterService } from "../service/cluster-service.ts";
import { ClusterJoin } from "./cluster-join.ts";
import { handOverLeadership, leaveCluster } from "./graceful-leave.ts";
import type { KvRaftEngine } from "../engine/raft-engine-launcher.ts";
import { Health } from "../gen/grpc/health/v1/health_pb.ts";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { DescriptorIndex } from "../service/descriptor-index.ts";
import { createHealthService, HealthState } from "../service/health-service.ts";
import { createKvService } from "../service/kv-service.ts";
import { LeaderForwarder } from "../service/leader-forwarder.ts";
import { LeaseKeeper } from "../service/lease-keeper.ts";
import { createLeaseService } from "../service/lease-service.ts";
import { createReflectionV1alphaService, createReflectionV1Service } from "../service/reflection-service.ts";
import { ClientServer } from "../server/client-server.ts";
import { createDiagnosticsService } from "../server/diagnostics-service.ts";
import { createRestKvHandler } from "../server/rest-kv-handler.ts";
import { defaultHistoryRetentionEntries, HistoryCompactor } from "../service/history-compactor.ts";
import { WatchHub } from "../service/watch-hub.ts";
import type { Logger } from "../log/logger.ts";
import { parseHostPort, type NodeConfig } from "./node-config.ts";

/**
 * One raftkv node: stores, engine, services and the client server, started
 * and stopped in dependency order.
 */
export class RaftkvNode {
  private constructor(
    readonly config: NodeConfig,
    readonly engine: KvRaftEngine,
    private readonly server: ClientServer,
    private readonly health: HealthState,
    private readonly logStore: RaftLogStore,
    private readonly stateMachine: KvStateMachine,
    private readonly logger: Logger,
    private readonly joiner: ClusterJoin | undefined,
    /** Every Watch and blocking query on this node. */
    readonly watchHub: WatchHub,
    private readonly historyCompactor: HistoryCompactor,
  ) {}

  get clientPort(): number {
    return this.server.port;
  }

  static async start(config: NodeConfig, logger: Logger): Promise<RaftkvNode> {
    const listen = parseHostPort("listen", config.listen);
    const raftListen = parseHostPort("raft-listen", config.raftListen);
    mkdirSync(config.dataDir, { recursive: true });
    const logStore = RaftLogStore.open(join(config.dataDir, "raft.db"));
    let stateMachine: KvStateMachine | undefined;
    let engine: KvRaftEngine | undefined;
    // A node with Raft state finds its cluster from its own log: --join is for an empty data dir only.
    const joiner = config.join !== undefined && config.join.length > 0 && !hasData(logStore) ? new ClusterJoin(config.join, logger) : undefined;
    const joinTimeoutMs = config.joinTimeoutMs ?? 30_000;
    try {
      const joinTarget = await joiner?.discover(joinTimeoutMs);
      stateMachine = KvStateMachine.open(join(config.dataDir, "kv.db"), {
        reportListenerError: (err) => logger.error("a change listener threw", { error: errorMessage(err) }),
      });
      engine = await launchRaftEngine({
        id: config.id,
        logStore,
        stateMachine,
        raftHost: raftListen.host,
        raftPort: raftListen.port,
        advertiseRaft: config.advertiseRaft,
        clientAddress: config.advertiseClient,
        initialCluster: config.initialCluster,
        join: joinTarget,
        timing: config.raftTiming,
        logger,
        snapshots: {
          store: FileSnapshotStore.open(join(config.dataDir, "snapshots"), { retain: config.snapshots?.retain ?? 3 }),
          thresholdEntries: config.snapshots?.thresholdEntries,
          intervalMs: config.snapshots?.intervalMs,
          trailingLogs: config.snapshots?.trailingLogs,
        },
      });
      const watchHub = new WatchHub(stateMachine, config.watchQueueLimits);
      // Only the leader proposes compactions; on other nodes the checks do nothing.
      const historyCompactor = new HistoryCompactor(engine, stateMachine, {
        retentionEntries: config.historyRetentionEntries ?? defaultHistoryRetentionEntries,
        checkIntervalMs: config.historyCompactionCheckMs,
        logger,
      });
      historyCompactor.start();
      const kv = createKvService(engine, config.limits, new LeaderForwarder(config.id), watchHub);
      // Expiry is decided here while this node leads; the keeper stops itself when the engine shuts down.
      const leaseKeeper = new LeaseKeeper(engine, { logger });
      leaseKeeper.start();
      const served = [KV, Lease, Cluster, Diagnostics, Health, ReflectionV1, ReflectionV1alpha];
      const descriptors = new DescriptorIndex(served);
      const health = new HealthState(served.map((s) => s.typeName));
      const server = await ClientServer.start({
        host: listen.host,
        port: listen.port,
        maxRequestBytes: config.limits.maxRequestBytes,
        services: [
          { service: KV, impl: kv },
          { service: Lease, impl: createLeaseService(engine, leaseKeeper, new LeaderForwarder(config.id)) },
          { service: Cluster, impl: createClusterService(engine, new LeaderForwarder(config.id)) },
          { service: Diagnostics, impl: createDiagnosticsService() },
          { service: Health, impl: createHealthService(health) },
          { service: ReflectionV1, impl: createReflectionV1Service(descriptors) },
          { service: ReflectionV1alpha, impl: createReflectionV1alphaService(descriptors) },
        ],
        httpRoutes: createRestKvHandler({ kv, maxRequestBytes: config.limits.maxRequestBytes, watchHub }),
        // Clients get a generic INTERNAL; the operator needs the real error and its stack.
        logger,
      });
      // An ephemeral client port is only known now: advertise the bound one.
      if (config.advertiseClient.endsWith(":0")) engine.setClientAddress(`${config.advertiseClient.slice(0, -2)}:${server.port}`);
      // A single node records its address before it reports serving, so nothing changes behind a first client's back.
      if (engine.isSoleVoter() && !(await engine.clientAddressSettled(5000))) {
        logger.warn("client address not yet recorded in the cluster configuration", { id: config.id });
      }
      if (joiner !== undefined) {
        await joiner.becomeMember(engine, joinTimeoutMs).catch(async (error: unknown) => {
          await server.close(0);
          throw error;
        });
        joiner.keepAskingForPromotion(engine);
      }
      const node = new RaftkvNode(config, engine, server, health, logStore, stateMachine, logger, joiner, watchHub, historyCompactor);
      logger.info("serving", {
        id: config.id,
        listen: `${server.host}:${server.port}`,
        raftListen: `${raftListen.host}:${engine.raftPort}`,
        dataDir: config.dataDir,
        appliedIndex: stateMachine.appliedIndex(),
      });
      return node;
    } catch (error) {
      joiner?.stop();
      await engine?.close();
      stateMachine?.close();
      logStore.close();
      throw error;
    }
  }

  /** Graceful order: stop taking requests, finish in-flight ones, stop the engine, close SQLite. */
  async close(): Promise<void> {
    this.health.setServing(false);
    // Open watches would hold the server's grace period: end them first, each with WatchCanceled.
    this.watchHub.close();
    this.historyCompactor.stop();
    await this.server.close(this.config.shutdownGraceMs);
    this.joiner?.stop();
    const boundMs = this.config.shutdownTransferMs ?? 5000;
    if (this.config.leaveOnShutdown === true) await leaveCluster(this.engine, boundMs, this.logger);
    else await handOverLeadership(this.engine, boundMs, this.logger);
    await this.engine.close();
    this.stateMachine.close();
    this.logStore.close();
    this.logger.info("stopped", { id: this.config.id });
  }
}
