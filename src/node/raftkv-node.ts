import { hostname } from "node:os";
import { join } from "node:path";
import { createMaintenanceService } from "../backup/backup-service.ts";
import type { KvRaftEngine } from "../engine/engine-launcher.ts";
import { launchRaftEngine } from "../engine/engine-launcher.ts";
import { processFailpoints } from "../failpoint/failpoints.ts";
import { KvStateMachine } from "../fsm/kv-state-machine.ts";
import { Health } from "../gen/grpc/health/v1/health_pb.ts";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { Cluster } from "../gen/raftkv/v1/cluster_pb.ts";
import { Diagnostics } from "../gen/raftkv/v1/diagnostics_pb.ts";
import { KV } from "../gen/raftkv/v1/kv_pb.ts";
import { Lease } from "../gen/raftkv/v1/lease_pb.ts";
import { Maintenance } from "../gen/raftkv/v1/maintenance_pb.ts";
import { errorMessage } from "../log/error-message.ts";
import type { Logger } from "../log/logger.ts";
import { NodeSecurity } from "../security/node-security.ts";
import { ClientServer } from "../server/client-server.ts";
import { createConsoleRoute } from "../server/console-route.ts";
import { CorsPolicy } from "../server/cors-policy.ts";
import { DescriptorIndex } from "../server/descriptor-index.ts";
import { createDiagnosticsService } from "../server/diagnostics-service.ts";
import { createHealthService, HealthState } from "../server/health-service.ts";
import { HostPolicy } from "../server/host-policy.ts";
import { firstRoute } from "../server/http-routes.ts";
import { observeRestRoutes } from "../server/observed-rest-routes.ts";
import { createReflectionV1alphaService, createReflectionV1Service } from "../server/reflection-service.ts";
import { createRestKvHandler } from "../server/rest-kv-handler.ts";
import { createClusterService } from "../service/cluster/index.ts";
import { createKvService } from "../service/kv/index.ts";
import { createLeaseService, LeaseKeeper } from "../service/lease/index.ts";
import { defaultHistoryRetentionEntries, HistoryCompactor, WatchHub } from "../service/watch/index.ts";
import { LeaderForwarder } from "../service/write/index.ts";
import { FileSnapshotStore } from "../storage/snapshot-store.ts";
import { ClusterJoin } from "./cluster-join.ts";
import { handOverLeadership, leaveCluster } from "./graceful-leave.ts";
import { warnIgnoredStartFlags } from "./ignored-start-flags.ts";
import { type NodeConfig, parseHostPort } from "./node-config.ts";
import { NodeDataDir } from "./node-data-dir.ts";
import { NodeOps } from "./node-ops.ts";
import { bindNodePorts, type NodePorts, releaseNodePorts, withBoundPort } from "./node-ports.ts";
import { serviceGuard } from "./secured-services.ts";

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
    /** Holds the data dir's lock until close(): one process per data dir. */
    private readonly dataDir: NodeDataDir,
    private readonly stateMachine: KvStateMachine,
    private readonly logger: Logger,
    private readonly joiner: ClusterJoin | undefined,
    /** Every Watch and blocking query on this node. */
    readonly watchHub: WatchHub,
    private readonly historyCompactor: HistoryCompactor,
    /** Metrics, readiness, the quota and background space reclaiming. */
    readonly ops: NodeOps,
    /** TLS on both ports and the tokens: reloaded on SIGHUP, certificate expiry for monitoring. */
    readonly security: NodeSecurity,
  ) {}

  /** Seconds until the soonest of this node's TLS certificates expires; undefined without TLS. */
  certificateExpiry(): number | undefined {
    return this.security.certificateExpiry();
  }

  /** SIGHUP: certificates and the token file are read again (a bad file is refused and the old one kept). */
  reloadSecurity(): void {
    this.security.reload("SIGHUP");
  }

  get clientPort(): number {
    return this.server.port;
  }

  /**
   * Starts in the order that keeps a failed start from changing the data dir:
   * flags, the data dir's lock and identity, both ports, the join's cluster;
   * only then the log (creating the directory if needed), the state machine,
   * the engine and the client services. On failure everything is released
   * and a first start's files are removed (see NodeDataDir).
   */
  static async start(config: NodeConfig, logger: Logger): Promise<RaftkvNode> {
    const listen = parseHostPort("listen", config.listen);
    const raftListen = parseHostPort("raft-listen", config.raftListen);
    // A malformed RAFTKV_FAILPOINTS stops the start here, before the data dir is touched.
    const failpoints = processFailpoints();
    // Bad certificates, a malformed token file or a bad flag combination stop the start here, before the data dir.
    const security = NodeSecurity.load(config.security ?? {}, logger);
    const dataDir = NodeDataDir.claim(config.dataDir, config.id);
    let ports: NodePorts | undefined;
    let joiner: ClusterJoin | undefined;
    let stateMachine: KvStateMachine | undefined;
    let engine: KvRaftEngine | undefined;
    const joinTimeoutMs = config.joinTimeoutMs ?? 30_000;
    const ops = new NodeOps(config, logger);
    try {
      ports = await bindNodePorts(listen, raftListen, security.peerTls);
      security.warnIfExposed(listen.host, raftListen.host);
      // A node with Raft state finds its cluster from its own log: --join and --initial-cluster are for a new data dir only.
      if (dataDir.hasRaftState()) warnIgnoredStartFlags(config, logger);
      else if (config.join !== undefined && config.join.length > 0) joiner = new ClusterJoin(config.join, logger, security.memberCredentials());
      const joinTarget = await joiner?.discover(joinTimeoutMs);
      const logStore = dataDir.openLog();
      const snapshotStore = FileSnapshotStore.open(join(config.dataDir, "snapshots"), { retain: config.snapshots?.retain ?? 3 });
      logStore.observeCommits(ops.fsync.observe);
      stateMachine = KvStateMachine.open(join(config.dataDir, "kv.db"), {
        reportListenerError: (err) => logger.error("a change listener threw", { error: errorMessage(err) }),
        maxTxnReadBytes: config.limits.maxResponseBytes,
      });
      engine = await launchRaftEngine({
        id: config.id,
        logStore,
        stateMachine,
        raftHost: raftListen.host,
        raftPort: raftListen.port,
        raftListener: ports.raft,
        advertiseRaft: config.advertiseRaft,
        // The client port is bound already: an ephemeral one is advertised as the port it got.
        clientAddress: withBoundPort(config.advertiseClient, ports.client.port),
        initialCluster: config.initialCluster,
        join: joinTarget,
        timing: config.raftTiming,
        logger,
        failpoints,
        observer: ops.metrics.raft,
        peerTls: security.peerTls,
        maxPeerConnections: config.maxPeerConnections,
        snapshots: {
          store: snapshotStore,
          thresholdEntries: config.snapshots?.thresholdEntries,
          intervalMs: config.snapshots?.intervalMs,
          trailingLogs: config.snapshots?.trailingLogs,
        },
      });
      const watchHub = new WatchHub(stateMachine, config.watchQueueLimits, config.limits);
      // Only the leader proposes compactions; on other nodes the checks do nothing.
      const historyCompactor = new HistoryCompactor(engine, stateMachine, {
        retentionEntries: config.historyRetentionEntries ?? defaultHistoryRetentionEntries,
        checkIntervalMs: config.historyCompactionCheckMs,
        logger,
      });
      historyCompactor.start();
      ops.attach({ engine, stateMachine, watchHub, certificateExpiry: () => security.certificateExpiryByPort() });
      const kv = createKvService(engine, config.limits, new LeaderForwarder(config.id, security.memberDial()), watchHub);
      // Expiry is decided here while this node leads; the keeper stops itself when the engine shuts down.
      const leaseKeeper = new LeaseKeeper(engine, { logger });
      leaseKeeper.start();
      const served = [KV, Lease, Cluster, Maintenance, Diagnostics, Health, ReflectionV1, ReflectionV1alpha];
      const descriptors = new DescriptorIndex(served);
      const health = new HealthState(
        served.map((s) => s.typeName),
        ops.healthProbes,
      );
      const guard = serviceGuard(security, () => engine?.membership().members.map((m) => m.id) ?? []);
      const server = await ClientServer.start({
        listener: ports.client,
        maxRequestBytes: config.limits.maxRequestBytes,
        connectionLimits: config.clientConnectionLimits,
        connectionCounts: ops.clientConnections,
        tls: security.clientTls,
        services: guard.all([
          { service: KV, impl: kv },
          { service: Lease, impl: createLeaseService(engine, leaseKeeper, new LeaderForwarder(config.id, security.memberDial()), config.limits) },
          { service: Cluster, impl: createClusterService(engine, new LeaderForwarder(config.id, security.memberDial()), ops.completeStatus) },
          {
            service: Maintenance,
            impl: createMaintenanceService({ engine, snapshots: snapshotStore, clusterId: engine.admin.status().clusterId, logger }),
          },
          { service: Diagnostics, impl: createDiagnosticsService() },
          { service: Health, impl: createHealthService(health) },
          { service: ReflectionV1, impl: createReflectionV1Service(descriptors) },
          { service: ReflectionV1alpha, impl: createReflectionV1alphaService(descriptors) },
        ]),
        // REST calls the KV implementation behind the same guard as every RPC; the console page itself is open (it holds no data).
        httpRoutes: firstRoute(
          ops.routes((authorization) => security.metricsAccess(authorization)),
          observeRestRoutes(createRestKvHandler({ kv: guard.kv(kv), maxRequestBytes: config.limits.maxRequestBytes, watchHub }), ops.metrics.rpc),
          createConsoleRoute(),
        ),
        rpcObserver: ops.metrics.rpc,
        cors: CorsPolicy.of(config.corsAllowedOrigins ?? []),
        hosts: HostPolicy.of(config.allowedHosts ?? [], [listen.host, parseHostPort("advertise-client", config.advertiseClient).host, hostname()]),
        // Clients get a generic INTERNAL; the operator needs the real error and its stack.
        logger,
      });
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
      const node = new RaftkvNode(config, engine, server, health, dataDir, stateMachine, logger, joiner, watchHub, historyCompactor, ops, security);
      logger.info("serving", {
        id: config.id,
        listen: `${server.host}:${server.port}`,
        raftListen: `${raftListen.host}:${engine.raftPort}`,
        dataDir: config.dataDir,
        appliedIndex: stateMachine.appliedIndex(),
        tls: security.clientTls === undefined ? "off" : security.clientCertAuth ? "client certificates required" : "on",
        peerTls: security.peerTls === undefined ? "off" : "mutual",
        auth: security.authEnabled ? `${security.tokens?.tokenCount ?? 0} tokens` : "off",
      });
      return node;
    } catch (error) {
      ops.stop();
      joiner?.stop();
      await engine?.close();
      stateMachine?.close();
      if (ports !== undefined) await releaseNodePorts(ports);
      dataDir.abandon();
      throw error;
    }
  }

  /** Graceful order: stop taking requests, finish in-flight ones, stop the engine, close SQLite. */
  async close(): Promise<void> {
    this.health.setServing(false);
    this.ops.stop();
    // Open watches would hold the server's grace period: end them first, each with WatchCanceled.
    this.watchHub.close();
    this.historyCompactor.stop();
    await this.server.close(this.config.shutdownGraceMs);
    this.joiner?.stop();
    const boundMs = this.config.shutdownTransferMs ?? 5000;
    if (this.config.leaveOnShutdown === true) await leaveCluster(this.engine, boundMs, this.logger, this.security.memberCredentials());
    else await handOverLeadership(this.engine, boundMs, this.logger);
    await this.engine.close();
    this.stateMachine.close();
    this.ops.cleanUp();
    this.dataDir.close();
    this.logger.info("stopped", { id: this.config.id });
  }
}
