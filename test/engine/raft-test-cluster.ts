import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { bootstrapLog, ensureIncarnation, randomId } from "../../src/engine/bootstrap.ts";
import { type KvRaftEngine, startEngine } from "../../src/engine/engine-launcher.ts";
import { RaftPeerInbox } from "../../src/engine/peer-inbox.ts";
import { systemScheduler } from "../../src/engine/scheduler.ts";
import type { RaftSnapshotOptions } from "../../src/engine/snapshotter.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import type { Logger } from "../../src/log/logger.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import { removeDir, tempDir } from "../support/test-node.ts";

const utf8 = new TextEncoder();

export function putCommand(key: string, value: string): Uint8Array {
  return toBinary(CommandSchema, create(CommandSchema, { op: { case: "put", value: { key: utf8.encode(key), value: utf8.encode(value) } } }));
}

export interface TestMember {
  readonly id: string;
  readonly dir: string;
  engine: KvRaftEngine;
  logStore: RaftLogStore;
  stateMachine: KvStateMachine;
  snapshots: FileSnapshotStore;
  running: boolean;
}

/** Short timings keep elections fast; production defaults are 10x longer. */
export const fastTiming = { tickMs: 20, heartbeatTimeoutMs: 200, electionTimeoutMs: 200, leaderLeaseMs: 100 };

export interface TestClusterOptions {
  /** Snapshot policy (thresholds, chunk size); the production defaults when absent. */
  readonly snapshots?: Omit<RaftSnapshotOptions, "store" | "latest">;
  /** Per-peer transport queue bound (the transport's default when absent). */
  readonly maxQueuedFrames?: number;
  /** Raft timings (fastTiming when absent). */
  readonly timing?: typeof fastTiming;
}

/**
 * N RaftEngines in this process, each with real SQLite files and a snapshot
 * store in its own temp dir and a real PeerTransport on 127.0.0.1 port 0. The
 * transports listen first so their ports can go into the shared first log entry.
 */
export class RaftTestCluster {
  private constructor(
    readonly members: TestMember[],
    private readonly clusterId: string,
    private readonly raftPorts: Map<string, number>,
    private readonly options: TestClusterOptions,
  ) {}

  static async start(size: number, options: TestClusterOptions = {}): Promise<RaftTestCluster> {
    const clusterId = `test-${crypto.randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const inboxes = ids.map(() => new RaftPeerInbox());
    const members = ids.map((id) => {
      const dir = tempDir(`raft-${id}`);
      const logStore = RaftLogStore.open(join(dir, "raft.db"));
      return {
        id,
        dir,
        logStore,
        stateMachine: KvStateMachine.open(join(dir, "kv.db")),
        snapshots: FileSnapshotStore.open(join(dir, "snapshots")),
        incarnation: ensureIncarnation(logStore, randomId),
      };
    });
    const transports = await Promise.all(members.map((m, i) => listen(clusterId, m.id, 0, inboxes[i] as RaftPeerInbox, options, m.incarnation)));
    const initialCluster = ids.map((id, i) => ({ id, raftAddress: `127.0.0.1:${(transports[i] as PeerTransport).port}` }));
    const cluster = new RaftTestCluster([], clusterId, new Map(ids.map((id, i) => [id, (transports[i] as PeerTransport).port])), options);
    for (const [i, { incarnation, ...files }] of members.entries()) {
      const id = files.id;
      bootstrapLog(files.logStore, { selfId: id, initialCluster, raftAddress: "", clientAddress: "", incarnation }, clusterId);
      const engine = await cluster.startEngine(files, transports[i] as PeerTransport, inboxes[i] as RaftPeerInbox);
      cluster.members.push({ ...files, engine, running: true });
    }
    return cluster;
  }

  /** The node's own start path: start-up recovery (snapshots, log and state machine brought into agreement), then the engine. */
  private startEngine(
    member: Pick<TestMember, "id" | "logStore" | "stateMachine" | "snapshots">,
    transport: PeerTransport,
    inbox: RaftPeerInbox,
    logger?: Logger,
  ): Promise<KvRaftEngine> {
    return startEngine({
      id: member.id,
      logStore: member.logStore,
      stateMachine: member.stateMachine,
      transport,
      inbox,
      scheduler: systemScheduler,
      incarnation: ensureIncarnation(member.logStore, randomId),
      clientAddress: `client-of-${member.id}:1`,
      timing: this.options.timing ?? fastTiming,
      requestTimeoutMs: 5000,
      logger,
      snapshots: { ...this.options.snapshots, store: member.snapshots },
    });
  }

  member(id: string): TestMember {
    const m = this.members.find((x) => x.id === id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  running(): TestMember[] {
    return this.members.filter((m) => m.running);
  }

  async waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  }

  /** The member every given node agrees leads (default: every running node). */
  async leader(among: readonly TestMember[] = this.running()): Promise<TestMember> {
    return this.waitFor("a leader all members agree on", () => {
      const leaderIds = new Set(among.map((m) => m.engine.status().leaderId));
      const [only] = [...leaderIds];
      if (leaderIds.size !== 1 || only === undefined || only === "") return undefined;
      return among.find((m) => m.id === only && m.engine.status().role === "leader");
    });
  }

  /** Writes through the current leader in batches of `batchSize` concurrent proposals; returns the last index. */
  /**
   * Writes through the current leader in batches of `batchSize` concurrent
   * proposals; returns the last index. A batch that a leadership change
   * interrupted (a loaded machine can miss an election timeout) is written
   * again through the next leader: a put of the same value twice leaves the
   * same key-value content, which is what these tests compare.
   */
  async write(count: number, prefix: string, batchSize = 25): Promise<number> {
    let last = 0;
    for (let start = 0; start < count; start += batchSize) {
      for (let attempt = 1; ; attempt++) {
        const leader = await this.waitFor("a leader", () => this.running().find((m) => m.engine.status().role === "leader"));
        const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) =>
          leader.engine.propose(putCommand(`${prefix}-${start + i}`, `value-${start + i}`)),
        );
        const settled = await Promise.allSettled(batch);
        const failed = settled.find((r) => r.status === "rejected");
        if (failed === undefined || attempt === 5) {
          for (const r of settled) {
            if (r.status === "rejected") throw r.reason;
            last = Math.max(last, r.value.index);
          }
          break;
        }
      }
    }
    return last;
  }

  /** Every running member applied through `index` and holds the same state. */
  async converged(index: number): Promise<void> {
    await this.waitFor("every member applied everything with equal hashes", () => {
      const members = this.running();
      if (!members.every((m) => m.stateMachine.appliedIndex() >= index)) return undefined;
      const applied = new Set(members.map((m) => m.stateMachine.appliedIndex()));
      return applied.size === 1 && new Set(members.map((m) => m.stateMachine.hash())).size === 1 ? true : undefined;
    });
  }

  /** Stops one member's engine and closes its files (a clean stop, as after a crash its files are intact). */
  async stop(member: TestMember): Promise<void> {
    member.running = false;
    await member.engine.close();
    member.stateMachine.close();
    member.logStore.close();
  }

  /**
   * Restarts a stopped member from its data dir on its old Raft port,
   * restoring its snapshot first when its state machine needs it. Returns
   * whether that restore happened.
   */
  async restart(member: TestMember, logger?: Logger): Promise<boolean> {
    const inbox = new RaftPeerInbox();
    member.logStore = RaftLogStore.open(join(member.dir, "raft.db"));
    const incarnation = ensureIncarnation(member.logStore, randomId);
    const transport = await listen(this.clusterId, member.id, this.raftPorts.get(member.id) ?? 0, inbox, this.options, incarnation);
    member.stateMachine = KvStateMachine.open(join(member.dir, "kv.db"));
    member.snapshots = FileSnapshotStore.open(join(member.dir, "snapshots"));
    const appliedBefore = member.stateMachine.appliedIndex();
    try {
      member.engine = await this.startEngine(member, transport, inbox, logger);
    } catch (error) {
      await transport.close();
      member.stateMachine.close();
      member.logStore.close();
      throw error;
    }
    member.running = true;
    return member.stateMachine.appliedIndex() !== appliedBefore;
  }

  async close(): Promise<void> {
    for (const m of this.members) {
      if (m.running) await this.stop(m);
      removeDir(m.dir);
    }
  }
}

function listen(clusterId: string, id: string, port: number, inbox: RaftPeerInbox, options: TestClusterOptions, incarnation: string): Promise<PeerTransport> {
  return PeerTransport.listen({
    clusterId,
    selfId: id,
    host: "127.0.0.1",
    port,
    onMessage: inbox.deliver,
    incarnation,
    ...(options.maxQueuedFrames === undefined ? {} : { maxQueuedFrames: options.maxQueuedFrames }),
  });
}
