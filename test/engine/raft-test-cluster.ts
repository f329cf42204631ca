import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { bootstrapLog } from "../../src/engine/raft-bootstrap.ts";
import { RaftEngine } from "../../src/engine/raft-engine.ts";
import { RaftPeerInbox } from "../../src/engine/raft-peer-inbox.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import { removeDir, tempDir } from "../support/test-node.ts";

const utf8 = new TextEncoder();

export function putCommand(key: string, value: string): Uint8Array {
  return toBinary(CommandSchema, create(CommandSchema, { op: { case: "put", value: { key: utf8.encode(key), value: utf8.encode(value) } } }));
}

export interface TestMember {
  readonly id: string;
  readonly dir: string;
  engine: RaftEngine;
  logStore: RaftLogStore;
  stateMachine: KvStateMachine;
}

/** Short timings keep elections fast; production defaults are 10x longer. */
export const fastTiming = { tickMs: 20, heartbeatTimeoutMs: 200, electionTimeoutMs: 200, leaderLeaseMs: 100 };

/**
 * N RaftEngines in this process, each with real SQLite files in its own temp
 * dir and a real PeerTransport on 127.0.0.1 port 0. The transports listen
 * first so their ports can go into the shared first log entry.
 */
export class RaftTestCluster {
  private constructor(
    readonly members: TestMember[],
    private readonly clusterId: string,
    private readonly raftPorts: Map<string, number>,
  ) {}

  static async start(size: number): Promise<RaftTestCluster> {
    const clusterId = `test-${crypto.randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const inboxes = ids.map(() => new RaftPeerInbox());
    const transports = await Promise.all(
      ids.map((id, i) =>
        PeerTransport.listen({ clusterId, selfId: id, host: "127.0.0.1", port: 0, onMessage: (inboxes[i] as RaftPeerInbox).deliver }),
      ),
    );
    const initialCluster = ids.map((id, i) => ({ id, raftAddress: `127.0.0.1:${(transports[i] as PeerTransport).port}` }));
    const members: TestMember[] = ids.map((id, i) => {
      const dir = tempDir(`raft-${id}`);
      const logStore = RaftLogStore.open(join(dir, "raft.db"));
      const stateMachine = KvStateMachine.open(join(dir, "kv.db"));
      bootstrapLog(logStore, { selfId: id, initialCluster, raftAddress: "", clientAddress: "" }, clusterId);
      const engine = RaftEngine.start({
        id,
        logStore,
        stateMachine,
        transport: transports[i] as PeerTransport,
        inbox: inboxes[i] as RaftPeerInbox,
        clientAddress: `client-of-${id}:1`,
        timing: fastTiming,
        requestTimeoutMs: 5000,
      });
      return { id, dir, engine, logStore, stateMachine };
    });
    return new RaftTestCluster(members, clusterId, new Map(initialCluster.map((m) => [m.id, Number(m.raftAddress.split(":")[1])])));
  }

  member(id: string): TestMember {
    const m = this.members.find((x) => x.id === id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  async waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  }

  /** The member every running node agrees leads. */
  async leader(among: readonly TestMember[] = this.members): Promise<TestMember> {
    return this.waitFor("a leader all members agree on", () => {
      const leaderIds = new Set(among.map((m) => m.engine.status().leaderId));
      const [only] = [...leaderIds];
      if (leaderIds.size !== 1 || only === undefined || only === "") return undefined;
      return among.find((m) => m.id === only && m.engine.status().role === "leader");
    });
  }

  /** Stops one member's engine and closes its files (a clean stop, as after a crash its files are intact). */
  async stop(member: TestMember): Promise<void> {
    await member.engine.close();
    member.stateMachine.close();
    member.logStore.close();
  }

  /** Restarts a stopped member from its data dir on its old Raft port. */
  async restart(member: TestMember): Promise<void> {
    const inbox = new RaftPeerInbox();
    const transport = await PeerTransport.listen({
      clusterId: this.clusterId,
      selfId: member.id,
      host: "127.0.0.1",
      port: this.raftPorts.get(member.id) ?? 0,
      onMessage: inbox.deliver,
    });
    member.logStore = RaftLogStore.open(join(member.dir, "raft.db"));
    member.stateMachine = KvStateMachine.open(join(member.dir, "kv.db"));
    member.engine = RaftEngine.start({
      id: member.id,
      logStore: member.logStore,
      stateMachine: member.stateMachine,
      transport,
      inbox,
      clientAddress: `client-of-${member.id}:1`,
      timing: fastTiming,
      requestTimeoutMs: 5000,
    });
  }

  async close(stopped: readonly TestMember[] = []): Promise<void> {
    for (const m of this.members) {
      if (!stopped.includes(m)) await this.stop(m);
      removeDir(m.dir);
    }
  }
}
