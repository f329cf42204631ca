import { bootstrapLog, ensureIncarnation, hasData, type InitialMember, rememberClusterId } from "../../../src/engine/bootstrap.ts";
import { startEngine } from "../../../src/engine/engine-launcher.ts";
import { RaftPeerInbox } from "../../../src/engine/peer-inbox.ts";
import type { RaftEngine } from "../../../src/engine/raft-engine.ts";
import type { RaftTiming } from "../../../src/engine/timing.ts";
import type { FailpointName } from "../../../src/failpoint/failpoints.ts";
import { Logger } from "../../../src/log/logger.ts";
import type { Entry } from "../../../src/raft/entry.ts";
import type { Prng } from "../prng.ts";
import { DurableLog, MemoryLogStore } from "./memory-log-store.ts";
import { DurableFiles, MemorySnapshotFiles } from "./memory-snapshot-files.ts";
import { DurableRegister, RegisterMachine, type RegisterResult } from "./register-machine.ts";
import { Fence, SimCrash } from "./sim-crash.ts";
import { SimPeerNetwork, type SimWire } from "./sim-wire.ts";
import { NodeClock, type VirtualTime } from "./virtual-time.ts";

/** A node's data dir: what outlives its process. */
class SimDisk {
  readonly log = new DurableLog();
  readonly register = new DurableRegister();
  readonly files = new DurableFiles();
}

export type SimEngine = RaftEngine<RegisterResult, RegisterMachine>;

function rejectedTotal(engine: SimEngine): number {
  return Object.values(engine.peerMessageRejections()).reduce((sum, n) => sum + n, 0);
}

/** What every host shares: the cluster it belongs to and the simulation's hooks. */
export interface HostContext {
  readonly time: VirtualTime;
  readonly wire: SimWire;
  readonly clusterId: string;
  readonly initialCluster: readonly InitialMember[];
  readonly timing: RaftTiming;
  readonly snapshotThreshold: number;
  readonly snapshotIntervalMs: number;
  readonly trailingLogs: number;
  applied(host: SimHost, entry: Entry): void;
  /** Whether to crash the node at this failpoint now. */
  crashAt(host: SimHost, point: FailpointName): boolean;
  /** A start that failed for a reason other than a crash: a finding. */
  startFailed(host: SimHost, error: unknown): void;
  /** The host that leads now, if any (where a joining node's request lands, forwarded or not). */
  leaderOf(): SimHost | undefined;
  trace(line: () => string): void;
  /** Whether trace() prints anything (engine logs go to the trace only then). */
  readonly tracing: boolean;
}

export type CrashKind = "process" | "power";

/**
 * One simulated server: its disk survives crashes; each start is a new
 * process (a new engine on fresh store objects over the disk, a new clock);
 * a crash fences the old process's stores and cancels its timers, so nothing
 * it left running can touch the disk again.
 */
export class SimHost {
  private disk = new SimDisk();
  private fence: Fence | undefined;
  clock: NodeClock | undefined;
  engine: SimEngine | undefined;
  machine: RegisterMachine | undefined;
  /** Incremented at every start: requests carry it to tell one process from the next. */
  generation = 0;
  starting = false;
  /** When set, the next raft.db write fails with an I/O error (a failing disk). */
  diskFaulty = false;
  /** The next start joins (an empty data dir asking to be added) instead of bootstrapping. */
  joins = false;
  /** What a joining node asks to be. */
  joinAs: "voter" | "nonvoter" = "voter";
  /** The incarnation of the current data dir, once known. */
  incarnation = "";
  /** Peer payloads dropped by this host's earlier processes, per reason. */
  private readonly pastRejections = new Map<string, number>();

  constructor(
    readonly id: string,
    private readonly ctx: HostContext,
    private readonly rng: Prng,
    /** Clock rate of this host (drift). */
    private readonly rate: number,
  ) {}

  get up(): boolean {
    return this.engine !== undefined;
  }

  get raftAddress(): string {
    return `raft-${this.id}`;
  }

  get clientAddress(): string {
    return `client-${this.id}`;
  }

  async start(): Promise<void> {
    if (this.engine !== undefined || this.starting) return;
    this.starting = true;
    this.generation++;
    const generation = this.generation;
    const fence = new Fence(this.id);
    const clock = new NodeClock(this.ctx.time, this.rng.fork(), this.rate);
    this.fence = fence;
    this.clock = clock;
    const logStore = new MemoryLogStore(
      this.disk.log,
      fence,
      () => this.failpoint("log.persist.before-commit"),
      () => {
        if (this.diskFaulty) throw new Error(`${this.id}: I/O error writing raft.db (simulated disk failure)`);
      },
    );
    const files = new MemorySnapshotFiles(this.disk.files, fence, this.id);
    const machine = new RegisterMachine(
      this.disk.register,
      this.disk.files,
      fence,
      clock,
      (entry) => this.ctx.applied(this, entry),
      () => this.failpoint("snapshot.restore.mid"),
    );
    try {
      this.incarnation = ensureIncarnation(logStore, () => `${this.id}x${this.rng.int(2 ** 30).toString(36)}`);
      if (!hasData(logStore)) {
        if (this.joins) rememberClusterId(logStore, this.ctx.clusterId);
        else {
          bootstrapLog(
            logStore,
            {
              selfId: this.id,
              initialCluster: this.ctx.initialCluster,
              raftAddress: this.raftAddress,
              clientAddress: this.clientAddress,
              incarnation: this.incarnation,
            },
            this.ctx.clusterId,
          );
        }
      }
      const self = { id: this.id, incarnation: this.incarnation, address: this.raftAddress };
      const network = new SimPeerNetwork(this.ctx.wire, self);
      const inbox = new RaftPeerInbox();
      this.ctx.wire.attach(this.id, {
        receive: (sender, payload) => clock.deliver(() => inbox.deliver(sender.id, payload, sender.incarnation, sender.address)),
        receiveForged: (build, read) =>
          clock.deliver(() => {
            const engine = this.engine;
            if (engine === undefined || engine.stoppedBy() !== undefined) return;
            const forged = build();
            if (forged === undefined) return;
            const before = rejectedTotal(engine);
            const { sender, payload } = forged;
            inbox.deliver(sender.id, payload, sender.incarnation, sender.address);
            if (this.engine === engine && engine.stoppedBy() === undefined) read(rejectedTotal(engine) > before);
          }),
      });
      // kv.db's checkpoints: what was applied survives a power loss once checkpointed.
      clock.every(50, () => machine.sync());
      this.ctx.trace(() => `${this.id} starts (generation ${generation}, incarnation ${this.incarnation}${this.joins ? ", joining" : ""})`);
      const engine = await startEngine<RegisterResult, RegisterMachine>({
        id: this.id,
        logStore,
        stateMachine: machine,
        transport: network,
        inbox,
        scheduler: clock,
        incarnation: this.incarnation,
        clientAddress: this.clientAddress,
        raftAddress: this.raftAddress,
        clusterId: this.ctx.clusterId,
        seedPeers: this.joins ? this.ctx.initialCluster.filter((m) => m.id !== this.id) : undefined,
        timing: this.ctx.timing,
        requestTimeoutMs: 600,
        logger: this.ctx.tracing ? new Logger("debug", "text", { node: this.id }, (line) => this.ctx.trace(() => line.replace(/^\S+ /, "log "))) : undefined,
        failpoints: { hit: (point) => this.failpoint(point) },
        snapshots: {
          store: files,
          thresholdEntries: this.ctx.snapshotThreshold,
          intervalMs: this.ctx.snapshotIntervalMs,
          trailingLogs: this.ctx.trailingLogs,
          chunkBytes: 96,
        },
      });
      if (fence.isDown) {
        await engine.close();
        return;
      }
      this.engine = engine;
      this.machine = machine;
      if (this.joins) this.keepJoining(clock, generation);
    } catch (error) {
      if (!(error instanceof SimCrash) && !fence.isDown) this.ctx.startFailed(this, error);
      if (!fence.isDown) this.stop("process", "failed start");
    } finally {
      this.starting = false;
    }
  }

  /** The process dies. A power loss also takes kv.db's writes since its last checkpoint. */
  crash(kind: CrashKind, why: string): void {
    if (this.fence === undefined || this.fence.isDown) return;
    this.ctx.trace(() => `${this.id} crashes (${kind}: ${why})`);
    this.stop(kind, why);
  }

  /** The data dir is lost; the next start makes a new one (a new incarnation). */
  wipe(joins: boolean): void {
    this.crash("process", "wiped");
    this.disk = new SimDisk();
    this.joins = joins;
    this.incarnation = "";
  }

  /** The state machine as this process sees it (undefined while down). */
  values(): ReadonlyMap<string, string> | undefined {
    return this.engine === undefined ? undefined : this.machine?.values;
  }

  /** The durable log, for the invariant checks. */
  durableLog(): DurableLog {
    return this.disk.log;
  }

  /** Peer payloads every process of this host dropped so far, per reason. */
  rejections(): Map<string, number> {
    const all = new Map(this.pastRejections);
    for (const [reason, n] of Object.entries(this.engine?.peerMessageRejections() ?? {})) all.set(reason, (all.get(reason) ?? 0) + n);
    return all;
  }

  private stop(kind: CrashKind, why: string): void {
    for (const [reason, n] of Object.entries(this.engine?.peerMessageRejections() ?? {})) {
      this.pastRejections.set(reason, (this.pastRejections.get(reason) ?? 0) + n);
    }
    this.fence?.close(why);
    this.clock?.kill();
    this.ctx.wire.attach(this.id, undefined);
    if (kind === "power") this.disk.register.written = this.disk.register.synced;
    this.engine = undefined;
    this.machine = undefined;
    this.diskFaulty = false;
  }

  private failpoint(point: FailpointName): void {
    if (this.fence?.isDown === true || !this.ctx.crashAt(this, point)) return;
    this.crash(this.rng.chance(0.3) ? "power" : "process", `failpoint ${point}`);
    throw new SimCrash(this.id, point);
  }

  /** As `serve --join`: asks the leader to add this node as a voter until the configuration lists it so. */
  private keepJoining(clock: NodeClock, generation: number): void {
    const attempt = (): void => {
      const engine = this.engine;
      if (engine === undefined || this.generation !== generation) return;
      const self = engine.membership().members.find((m) => m.id === this.id);
      if (self?.incarnation === this.incarnation && (self.suffrage === "voter" || this.joinAs === "nonvoter")) return;
      const admin = this.ctx.leaderOf()?.engine?.admin;
      const asked =
        this.joinAs === "voter"
          ? admin?.addVoter(this.id, this.raftAddress, this.clientAddress, 0, undefined, this.incarnation)
          : admin?.addNonvoter(this.id, this.raftAddress, this.clientAddress, 0, undefined, this.incarnation);
      asked?.catch(() => {});
      clock.after(150, attempt);
    };
    clock.after(50, attempt);
  }
}
