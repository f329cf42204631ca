import type { Entry } from "../../src/raft/entry.ts";
import { MemoryStorage } from "../../src/raft/memory-storage.ts";
import type { Message } from "../../src/raft/message.ts";
import type { RaftEvent } from "../../src/raft/raft-event.ts";
import { RawNode } from "../../src/raft/raw-node.ts";
import type { ReadState } from "../../src/raft/read-state.ts";
import type { Ready } from "../../src/raft/ready.ts";
import type { Prng } from "./prng.ts";
import { RegisterFsm } from "./register-fsm.ts";

/** What a node host tells the simulation. */
export interface NodeHooks {
  send(from: SimNode, message: Message): void;
  applied(node: SimNode, entry: Entry): void;
  readState(node: SimNode, readState: ReadState): void;
  event(node: SimNode, event: RaftEvent): void;
}

export interface NodeTimings {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly leaseTicks: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly maxEntriesPerMessage: number;
  readonly trailingLogs: number;
  readonly snapshotInterval: number;
  readonly promotionLag: number;
  readonly maxInflightMessages: number;
}

/**
 * One simulated server: a RawNode over a MemoryStorage "disk" that survives
 * crashes, and a state machine that does not (it is rebuilt from the
 * snapshot and the log). A Ready taken but not completed is lost on crash.
 */
export class SimNode {
  readonly storage = new MemoryStorage();
  raw: RawNode | undefined = undefined;
  fsm = new RegisterFsm();
  pending: Ready | undefined = undefined;
  incarnation = 0;
  /** Snapshot bytes that arrived with InstallSnapshot messages, by index. */
  readonly receivedSnapshots = new Map<number, Uint8Array>();

  constructor(
    readonly id: string,
    private readonly rng: Prng,
    private readonly timings: NodeTimings,
    private readonly hooks: NodeHooks,
  ) {}

  get alive(): boolean {
    return this.raw !== undefined;
  }

  start(): void {
    this.incarnation++;
    this.fsm = RegisterFsm.decode(this.storage.snapshotData());
    const rng = this.rng;
    this.raw = new RawNode({
      id: this.id,
      storage: this.storage,
      electionTicks: this.timings.electionTicks,
      heartbeatTicks: this.timings.heartbeatTicks,
      random: () => rng.next(),
      applied: this.fsm.applied,
      leaseTicks: this.timings.leaseTicks,
      checkQuorum: this.timings.checkQuorum,
      trailingLogs: this.timings.trailingLogs,
      promotionLag: this.timings.promotionLag,
      maxInflightMessages: this.timings.maxInflightMessages,
      maxEntriesPerMessage: this.timings.maxEntriesPerMessage,
      preVote: this.timings.preVote,
    });
  }

  crash(): void {
    this.raw = undefined;
    this.pending = undefined;
    this.receivedSnapshots.clear();
  }

  /** Takes a Ready if there is one and none is outstanding; its early messages leave now. */
  takeReady(): boolean {
    const raw = this.raw;
    if (raw === undefined || this.pending !== undefined || !raw.hasReady()) return false;
    const ready = raw.ready();
    this.pending = ready;
    for (const m of ready.messages) this.hooks.send(this, m);
    return true;
  }

  /** Persists, sends, applies and advances the outstanding Ready. */
  completeReady(): void {
    const raw = this.raw;
    const ready = this.pending;
    if (raw === undefined || ready === undefined) return;
    let restored: RegisterFsm | undefined;
    if (ready.snapshot !== undefined) {
      const data = this.receivedSnapshots.get(ready.snapshot.index);
      if (data === undefined) throw new Error(`${this.id}: snapshot ${ready.snapshot.index} to install but its data never arrived`);
      this.storage.applySnapshot(ready.snapshot, data);
      restored = RegisterFsm.decode(data);
      if (restored.applied !== ready.snapshot.index) {
        throw new Error(`${this.id}: snapshot meta index ${ready.snapshot.index} but data applied ${restored.applied}`);
      }
    }
    this.storage.append(ready.entries);
    if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
    for (const m of ready.messagesAfterPersist) this.hooks.send(this, m);
    if (restored !== undefined) this.fsm = restored;
    for (const e of ready.committedEntries) {
      this.fsm.apply(e);
      this.hooks.applied(this, e);
    }
    for (const rs of ready.readStates) this.hooks.readState(this, rs);
    for (const ev of ready.events) this.hooks.event(this, ev);
    if (ready.compactLogTo > 0) this.storage.compact(ready.compactLogTo);
    this.pending = undefined;
    raw.advance(ready);
    this.maybeSnapshot(raw);
  }

  private maybeSnapshot(raw: RawNode): void {
    const applied = this.fsm.applied;
    if (applied - this.storage.snapshot().index < this.timings.snapshotInterval) return;
    const term = this.storage.term(applied);
    if (term === undefined) throw new Error(`${this.id}: no term for applied index ${applied}`);
    this.storage.createSnapshot({ index: applied, term, membership: this.fsm.membership }, this.fsm.encode());
    raw.snapshotTaken(applied);
    for (const index of this.receivedSnapshots.keys()) if (index <= applied) this.receivedSnapshots.delete(index);
  }
}
