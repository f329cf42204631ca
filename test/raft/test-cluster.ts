import type { RaftConfig } from "../../src/raft/config.ts";
import type { Entry } from "../../src/raft/entry.ts";
import type { Member, Suffrage } from "../../src/raft/membership.ts";
import { MemoryStorage } from "../../src/raft/memory-storage.ts";
import type { Message } from "../../src/raft/message.ts";
import type { RaftEvent } from "../../src/raft/raft-event.ts";
import { bootstrapEntries, RawNode } from "../../src/raft/raw-node.ts";
import type { ReadState } from "../../src/raft/read-state.ts";
import type { Ready } from "../../src/raft/ready.ts";
import { Prng } from "../sim/prng.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Options = Partial<Omit<RaftConfig, "id" | "storage" | "random">>;

export interface TestNode {
  readonly id: string;
  readonly storage: MemoryStorage;
  raw: RawNode | undefined;
  /** Ready taken but not yet made durable (see hold()). */
  held: Ready | undefined;
  applied: Entry[];
  readStates: ReadState[];
  events: RaftEvent[];
  snapshotData: Map<number, Uint8Array>;
}

export function text(e: Entry): string {
  return decoder.decode(e.data);
}

export function member(id: string, suffrage: Suffrage = "voter"): Member {
  return { id, suffrage, raftAddress: `raft-${id}`, clientAddress: `client-${id}` };
}

/** What a transcript prints: each Ready as it is handled, each message as it is delivered or dropped. */
export interface ClusterObserver {
  ready(id: string, ready: Ready): void;
  delivered(message: Message): void;
  dropped(message: Message, why: string): void;
}

/**
 * A hand-driven cluster for transcript-like tests: nothing moves unless
 * the test ticks a node or delivers messages, and links can be cut.
 */
export class TestCluster {
  readonly nodes = new Map<string, TestNode>();
  /** Messages sent and not yet delivered or dropped. */
  queue: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly rng = new Prng(1);
  /** Sees every Ready handled and every message delivered (the transcript tests print them). */
  observer: ClusterObserver | undefined;

  constructor(
    members: readonly Member[],
    private readonly options: Options = {},
    extraIds: readonly string[] = [],
  ) {
    const boot = bootstrapEntries(members);
    for (const m of members) this.addNode(m.id, boot);
    for (const id of extraIds) this.addNode(id, undefined);
  }

  private addNode(id: string, boot: ReturnType<typeof bootstrapEntries> | undefined): void {
    const storage = new MemoryStorage();
    if (boot !== undefined) {
      storage.append(boot.entries);
      storage.setHardState(boot.hardState);
    }
    const node: TestNode = { id, storage, raw: undefined, held: undefined, applied: [], readStates: [], events: [], snapshotData: new Map() };
    this.nodes.set(id, node);
    this.start(id);
  }

  node(id: string): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raw(id: string): RawNode {
    const r = this.node(id).raw;
    if (r === undefined) throw new Error(`node ${id} is down`);
    return r;
  }

  start(id: string): void {
    const n = this.node(id);
    n.applied = [];
    const rng = this.rng;
    n.raw = new RawNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...this.options,
      id,
      storage: n.storage,
      random: () => rng.next(),
      applied: n.storage.snapshot().index,
    });
  }

  crash(id: string): void {
    const n = this.node(id);
    n.raw = undefined;
    n.held = undefined;
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  /** The node's disk is lost: it is down with empty storage (start() brings it back empty). */
  wipe(id: string): void {
    this.crash(id);
    const old = this.node(id);
    this.nodes.set(id, {
      ...old,
      storage: new MemoryStorage(),
      raw: undefined,
      held: undefined,
      applied: [],
      readStates: [],
      events: [],
      snapshotData: new Map(),
    });
  }

  cutLink(a: string, b: string): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  isolate(id: string): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other);
  }

  heal(): void {
    this.cut.clear();
  }

  private linkUp(m: Message): boolean {
    return !this.cut.has(`${m.from}>${m.to}`);
  }

  /** Takes a Ready and keeps it unpersisted: its early messages go out, the rest waits for release(). */
  hold(id: string): Ready | undefined {
    const n = this.node(id);
    const raw = n.raw;
    if (raw === undefined || n.held !== undefined || !raw.hasReady()) return undefined;
    const ready = raw.ready();
    this.observer?.ready(id, ready);
    n.held = ready;
    for (const m of ready.messages) this.queue.push(m);
    return ready;
  }

  /** Makes the held Ready durable, sends what waited for that, applies, advances. */
  release(id: string): void {
    const n = this.node(id);
    const raw = n.raw;
    const ready = n.held;
    if (raw === undefined || ready === undefined) return;
    if (ready.snapshot !== undefined) {
      n.storage.applySnapshot(ready.snapshot, n.snapshotData.get(ready.snapshot.index) ?? new Uint8Array(0));
    }
    n.storage.append(ready.entries);
    if (ready.hardState !== undefined) n.storage.setHardState(ready.hardState);
    for (const m of ready.messagesAfterPersist) this.queue.push(m);
    for (const e of ready.committedEntries) n.applied.push(e);
    for (const rs of ready.readStates) n.readStates.push(rs);
    for (const ev of ready.events) n.events.push(ev);
    if (ready.compactLogTo > 0) n.storage.compact(ready.compactLogTo);
    n.held = undefined;
    raw.advance(ready);
  }

  /** Handles every pending Ready of every live node (except held ones). */
  processReadies(): void {
    for (let again = true; again; ) {
      again = false;
      for (const n of this.nodes.values()) {
        if (n.held !== undefined) continue;
        if (this.hold(n.id) !== undefined) {
          this.release(n.id);
          again = true;
        }
      }
    }
  }

  /**
   * Delivers queued messages matching `filter` (over live links) until none
   * are left; the others stay queued. Returns how many were delivered.
   */
  deliver(filter: (m: Message) => boolean = () => true): number {
    let delivered = 0;
    for (let rounds = 0; rounds < 10_000; rounds++) {
      this.processReadies();
      const now = this.queue.filter((m) => filter(m) && this.linkUp(m) && this.nodes.get(m.to)?.raw !== undefined);
      if (now.length === 0) return delivered;
      this.queue = this.queue.filter((m) => !now.includes(m));
      for (const m of now) {
        this.observer?.delivered(m);
        const to = this.node(m.to);
        if (m.kind === "installSnapshot") to.snapshotData.set(m.snapshot.index, this.node(m.from).storage.snapshotData());
        to.raw?.step(m);
        if (m.kind === "installSnapshot") this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, true);
        delivered++;
      }
    }
    throw new Error("deliver: no quiescence after 10000 rounds");
  }

  /** Drops queued messages matching filter (all by default). */
  drop(filter: (m: Message) => boolean = () => true, why = "dropped"): void {
    for (const m of this.queue) if (filter(m)) this.observer?.dropped(m, why);
    this.queue = this.queue.filter((m) => !filter(m));
  }

  /** Delivers everything deliverable, then drops what crossed a cut link. */
  stabilize(): void {
    this.deliver();
    this.drop((m) => !this.linkUp(m), "link cut");
  }

  tick(id: string, times = 1): void {
    for (let i = 0; i < times; i++) this.raw(id).tick();
  }

  /** Ticks every live node once per round, stabilizing in between. */
  tickAll(rounds: number, only?: readonly string[]): void {
    for (let i = 0; i < rounds; i++) {
      for (const n of this.nodes.values()) if (n.raw !== undefined && (only === undefined || only.includes(n.id))) n.raw.tick();
      this.stabilize();
    }
  }

  elect(id: string): void {
    this.raw(id).campaign();
    this.stabilize();
    if (this.raw(id).role() !== "leader") throw new Error(`elect(${id}): became ${this.raw(id).role()}`);
  }

  /** Campaigns (retrying a few terms) delivering only election traffic: nothing gets replicated. */
  win(id: string): void {
    for (let attempt = 0; attempt < 4; attempt++) {
      this.raw(id).campaign();
      this.deliver((m) => m.kind === "requestVote" || m.kind === "voteResponse");
      if (this.raw(id).role() === "leader") return;
    }
    throw new Error(`win(${id}): still ${this.raw(id).role()}`);
  }

  propose(id: string, value: string): number {
    const result = this.raw(id).propose(encoder.encode(value));
    if (!result.ok) throw new Error(`propose on ${id}: ${result.refusal.message}`);
    return result.index;
  }

  term(id: string): number {
    return this.raw(id).view().term;
  }

  commit(id: string): number {
    return this.raw(id).log().committed;
  }

  logTerms(id: string): (number | undefined)[] {
    const log = this.raw(id).log();
    const out: (number | undefined)[] = [];
    for (let i = 1; i <= log.lastIndex(); i++) out.push(log.term(i));
    return out;
  }

  /** Takes a snapshot at the node's applied index (data: the applied values) and reports it. */
  snapshot(id: string): number {
    const n = this.node(id);
    const raw = this.raw(id);
    const index = raw.log().applied;
    const term = n.storage.term(index) ?? 0;
    n.storage.createSnapshot({ index, term, membership: raw.membershipAt(index) }, encoder.encode(`snap@${index}`));
    raw.snapshotTaken(index);
    this.processReadies();
    return index;
  }
}
