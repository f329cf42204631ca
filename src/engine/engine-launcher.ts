import type { Failpoints } from "../failpoint/failpoints.ts";
import type { KvStateMachine } from "../fsm/kv-state-machine.ts";
import type { ApplyResult } from "../fsm/kv-types.ts";
import type { Logger } from "../log/logger.ts";
import type { RaftLogStore } from "../storage/raft-log-store.ts";
import type { PeerTls } from "../transport/peer-tls.ts";
import { PeerTransport } from "../transport/peer-transport.ts";
import type { RaftListener } from "../transport/raft-listener.ts";
import { bootstrapLog, ensureIncarnation, enteredByJoin, hasData, type InitialMember, randomId, rememberClusterId, resolveClusterId } from "./bootstrap.ts";
import type { LogStore } from "./log-store.ts";
import type { SeedPeer } from "./member-addresses.ts";
import type { RaftObserver } from "./observer.ts";
import { RaftPeerInbox } from "./peer-inbox.ts";
import type { PeerNetwork } from "./peer-network.ts";
import { RaftEngine } from "./raft-engine.ts";
import { type Scheduler, systemScheduler } from "./scheduler.ts";
import type { RaftSnapshotOptions } from "./snapshotter.ts";
import { recoverOnStart } from "./start-up-recovery.ts";
import type { StateMachine } from "./state-machine.ts";
import type { RaftTiming } from "./timing.ts";

/** The engine a key-value node runs. */
export type KvRaftEngine = RaftEngine<ApplyResult, KvStateMachine>;

export interface RaftEngineLaunch {
  readonly id: string;
  readonly logStore: RaftLogStore;
  readonly stateMachine: KvStateMachine;
  /** Raft port to listen on (port 0: ephemeral). */
  readonly raftHost: string;
  readonly raftPort: number;
  /** The Raft port already bound by the caller (raftHost and raftPort are then ignored); stopped with the engine. */
  readonly raftListener?: RaftListener;
  /** host:port other members dial; a port of 0 means "the port actually bound". */
  readonly advertiseRaft: string;
  /** This node's client address as clients and members should dial it. */
  readonly clientAddress: string;
  readonly initialCluster?: readonly InitialMember[];
  /**
   * Join an existing cluster instead of bootstrapping: used only when the
   * log is empty (a node with Raft state finds its cluster from its own log).
   */
  readonly join?: JoinTarget;
  readonly timing?: Partial<RaftTiming>;
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  /** Snapshots and log compaction; the state machine is brought in line with the log and its snapshots first. */
  readonly snapshots?: RaftSnapshotOptions;
  readonly failpoints?: Failpoints;
  /** Engine events for metrics (see RaftObserver). */
  readonly observer?: RaftObserver;
  /** Mutual TLS on the Raft port (the same settings raftListener was bound with). */
  readonly peerTls?: PeerTls;
  /** `--max-peer-connections`: inbound connections the Raft port holds at once (default in PeerTransport). */
  readonly maxPeerConnections?: number;
}

/** What a joining node learned from the cluster before it starts: the cluster id and members to dial. */
export interface JoinTarget {
  readonly clusterId: string;
  readonly seeds: readonly InitialMember[];
}

function withBoundPort(address: string, port: number): string {
  return address.endsWith(":0") ? `${address.slice(0, -2)}:${port}` : address;
}

/**
 * Starts a node's Raft side in the order its parts depend on: the cluster id
 * (from the log, the initial cluster, or fresh), the Raft port (so an
 * ephemeral port is known), the first log entry if the node is new, then the
 * engine.
 */
export async function launchRaftEngine(launch: RaftEngineLaunch): Promise<KvRaftEngine> {
  const joining = launch.join !== undefined && !hasData(launch.logStore) ? launch.join : undefined;
  const clusterId = joining?.clusterId ?? resolveClusterId(launch.logStore, launch.initialCluster);
  const incarnation = ensureIncarnation(launch.logStore, randomId);
  const inbox = new RaftPeerInbox();
  const transport = await PeerTransport.listen({
    clusterId,
    selfId: launch.id,
    host: launch.raftHost,
    port: launch.raftPort,
    listener: launch.raftListener,
    onMessage: inbox.deliver,
    incarnation,
    logger: launch.logger,
    tls: launch.peerTls,
    maxInboundConnections: launch.maxPeerConnections,
  });
  try {
    const raftAddress = withBoundPort(launch.advertiseRaft, transport.port);
    transport.advertisedAddress = raftAddress;
    let bootstrapped = false;
    if (joining === undefined) {
      bootstrapped = bootstrapLog(
        launch.logStore,
        { selfId: launch.id, initialCluster: launch.initialCluster, raftAddress, clientAddress: launch.clientAddress, incarnation },
        clusterId,
      );
    } else {
      rememberClusterId(launch.logStore, clusterId);
    }
    launch.logger?.debug("raft log ready", { clusterId, bootstrapped, joining: joining !== undefined, raftAddress, incarnation });
    return await startEngine({
      id: launch.id,
      logStore: launch.logStore,
      stateMachine: launch.stateMachine,
      transport,
      inbox,
      scheduler: systemScheduler,
      incarnation,
      clientAddress: launch.clientAddress,
      raftAddress,
      clusterId,
      seedPeers: joining?.seeds,
      timing: launch.timing,
      requestTimeoutMs: launch.requestTimeoutMs,
      logger: launch.logger,
      snapshots: launch.snapshots,
      failpoints: launch.failpoints,
      observer: launch.observer,
    });
  } catch (error) {
    await transport.close();
    throw error;
  }
}

/** Everything an engine runs on, whatever provides it (a node's files and sockets, or the simulator's memory). */
export interface EngineParts<R, M extends StateMachine<R>> {
  readonly id: string;
  /** Already holding a cluster (bootstrapped), or the cluster id of one being joined. */
  readonly logStore: LogStore;
  readonly stateMachine: M;
  readonly transport: PeerNetwork;
  readonly inbox: RaftPeerInbox;
  readonly scheduler: Scheduler;
  readonly incarnation: string;
  readonly clientAddress: string;
  readonly raftAddress?: string;
  readonly clusterId?: string;
  readonly seedPeers?: readonly SeedPeer[];
  readonly timing?: Partial<RaftTiming>;
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  readonly snapshots?: RaftSnapshotOptions;
  readonly failpoints?: Failpoints;
  readonly observer?: RaftObserver;
}

/**
 * Start-up recovery (log, state machine and snapshots brought into
 * agreement; see recoverOnStart), then the engine. Shared by the node and
 * the simulator, so start-up recovery runs under simulation too.
 */
export async function startEngine<R, M extends StateMachine<R>>(parts: EngineParts<R, M>): Promise<RaftEngine<R, M>> {
  const snapshots =
    parts.snapshots === undefined
      ? undefined
      : {
          ...parts.snapshots,
          latest: (await recoverOnStart(parts.logStore, parts.snapshots.store, parts.stateMachine, parts.logger))?.meta ?? null,
        };
  return RaftEngine.start<R, M>({
    id: parts.id,
    logStore: parts.logStore,
    stateMachine: parts.stateMachine,
    transport: parts.transport,
    inbox: parts.inbox,
    scheduler: parts.scheduler,
    incarnation: parts.incarnation,
    acceptUnrecordedIncarnation: !enteredByJoin(parts.logStore),
    failpoints: parts.failpoints,
    clientAddress: parts.clientAddress,
    raftAddress: parts.raftAddress,
    clusterId: parts.clusterId,
    seedPeers: parts.seedPeers,
    timing: parts.timing,
    requestTimeoutMs: parts.requestTimeoutMs,
    logger: parts.logger,
    snapshots,
    observer: parts.observer,
  });
}
