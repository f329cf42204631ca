import type { KvStateMachine } from "../fsm/kv-state-machine.ts";
import type { Logger } from "../log/logger.ts";
import type { RaftLogStore } from "../storage/raft-log-store.ts";
import { PeerTransport } from "../transport/peer-transport.ts";
import type { RaftListener } from "../transport/raft-listener.ts";
import { bootstrapLog, hasData, rememberClusterId, resolveClusterId, type InitialMember } from "./raft-bootstrap.ts";
import { RaftEngine } from "./raft-engine.ts";
import { RaftPeerInbox } from "./raft-peer-inbox.ts";
import { restoreSnapshotOnStart, type RaftSnapshotOptions } from "./raft-snapshotter.ts";
import type { RaftTiming } from "./raft-timing.ts";

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
  /** Snapshots and log compaction; the state machine is restored from the newest valid snapshot first if needed. */
  readonly snapshots?: RaftSnapshotOptions;
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
export async function launchRaftEngine(launch: RaftEngineLaunch): Promise<RaftEngine> {
  const joining = launch.join !== undefined && !hasData(launch.logStore) ? launch.join : undefined;
  const clusterId = joining?.clusterId ?? resolveClusterId(launch.logStore, launch.initialCluster);
  const inbox = new RaftPeerInbox();
  const transport = await PeerTransport.listen({
    clusterId,
    selfId: launch.id,
    host: launch.raftHost,
    port: launch.raftPort,
    listener: launch.raftListener,
    onMessage: inbox.deliver,
    logger: launch.logger,
  });
  try {
    const raftAddress = withBoundPort(launch.advertiseRaft, transport.port);
    let bootstrapped = false;
    if (joining === undefined) {
      bootstrapped = bootstrapLog(
        launch.logStore,
        { selfId: launch.id, initialCluster: launch.initialCluster, raftAddress, clientAddress: launch.clientAddress },
        clusterId,
      );
    } else {
      rememberClusterId(launch.logStore, clusterId);
    }
    launch.logger?.debug("raft log ready", { clusterId, bootstrapped, joining: joining !== undefined, raftAddress });
    const snapshots =
      launch.snapshots === undefined
        ? undefined
        : {
            ...launch.snapshots,
            latest: (await restoreSnapshotOnStart(launch.snapshots.store, launch.stateMachine, launch.logStore, launch.logger))?.meta ?? null,
          };
    return RaftEngine.start({
      id: launch.id,
      logStore: launch.logStore,
      stateMachine: launch.stateMachine,
      transport,
      inbox,
      clientAddress: launch.clientAddress,
      raftAddress,
      clusterId,
      seedPeers: joining?.seeds,
      timing: launch.timing,
      requestTimeoutMs: launch.requestTimeoutMs,
      logger: launch.logger,
      snapshots,
    });
  } catch (error) {
    await transport.close();
    throw error;
  }
}
