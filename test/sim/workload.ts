import type { Operation } from "../../src/check/operation.ts";
import type { RegisterInput, RegisterOutput } from "../../src/check/register-model.ts";
import type { Entry } from "../../src/raft/entry.ts";
import type { ReadState } from "../../src/raft/read-state.ts";
import type { Prng } from "./prng.ts";
import { encodeWrite } from "./register-fsm.ts";
import type { SimNode } from "./sim-node.ts";

export type RegisterOp = Operation<RegisterInput, RegisterOutput>;

interface InFlightWrite {
  readonly clientId: number;
  readonly key: string;
  readonly value: string;
  readonly call: number;
  readonly node: SimNode;
  readonly incarnation: number;
  readonly index: number;
  readonly term: number;
}

interface InFlightRead {
  readonly clientId: number;
  readonly key: string;
  readonly call: number;
  readonly node: SimNode;
  readonly incarnation: number;
  readonly requestId: string;
  index: number | undefined;
}

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: readonly string[];
  /** Chance per time unit that an idle client issues an operation. */
  readonly rate: number;
  readonly readRatio: number;
  readonly timeout: number;
  readonly useLeaseReads: boolean;
}

/**
 * Clients issuing register writes and ReadIndex reads against the cluster,
 * recording a history for the linearizability checker. A write whose fate
 * is unknown (node crashed, timed out) is recorded as ambiguous; a write
 * whose index was taken by another entry certainly failed and is left out,
 * as is any read that never returned (reads change nothing).
 */
export class Workload {
  readonly history: RegisterOp[] = [];
  private readonly writes = new Map<string, InFlightWrite>();
  private readonly reads = new Map<string, InFlightRead>();
  private readonly busy = new Set<number>();
  private deferred: { clientId: number; node: SimNode; incarnation: number; key: string; read: boolean; call: number }[] = [];
  private opCounter = 0;
  completedWrites = 0;
  completedReads = 0;

  constructor(
    private readonly options: WorkloadOptions,
    private readonly rng: Prng,
  ) {}

  /**
   * Idle clients may send a request; one sent to a paused node waits in its
   * socket and is handled first thing when the node wakes (see resumed()).
   */
  issue(now: number, nodes: readonly SimNode[], reachable: (node: SimNode) => boolean): void {
    for (let c = 0; c < this.options.clients; c++) {
      if (this.busy.has(c) || !this.rng.chance(this.options.rate)) continue;
      const live = nodes.filter((n) => n.alive);
      if (live.length === 0) return;
      const node = this.rng.pick(live);
      const key = this.rng.pick(this.options.keys);
      const read = this.rng.chance(this.options.readRatio);
      if (!reachable(node)) {
        this.busy.add(c);
        this.deferred.push({ clientId: c, node, incarnation: node.incarnation, key, read, call: now });
      } else if (read) this.startRead(now, c, node, key);
      else this.startWrite(now, c, node, nodes, key, reachable);
    }
  }

  /** A paused node woke up: it handles the requests that queued up meanwhile. */
  resumed(node: SimNode, nodes: readonly SimNode[], reachable: (node: SimNode) => boolean): void {
    const mine = this.deferred.filter((d) => d.node === node);
    this.deferred = this.deferred.filter((d) => d.node !== node);
    for (const d of mine) {
      this.busy.delete(d.clientId);
      if (!node.alive || node.incarnation !== d.incarnation) continue;
      if (d.read) this.startRead(d.call, d.clientId, node, d.key);
      else this.startWrite(d.call, d.clientId, node, nodes, d.key, reachable);
    }
  }

  private startWrite(now: number, clientId: number, node: SimNode, nodes: readonly SimNode[], key: string, reachable: (node: SimNode) => boolean): void {
    // Followers forward to the leader they know (as the service layer will).
    let target = node;
    const leaderId = node.raw?.leader() ?? "";
    if (node.raw?.role() !== "leader" && leaderId !== "") {
      const leader = nodes.find((n) => n.id === leaderId);
      if (leader?.alive === true && reachable(leader)) target = leader;
    }
    const raw = target.raw;
    if (raw === undefined) return;
    const value = `c${clientId}-${this.opCounter++}`;
    const result = raw.propose(encodeWrite({ key, value }));
    if (!result.ok) return;
    this.busy.add(clientId);
    this.writes.set(`${target.id}#${result.index}`, {
      clientId,
      key,
      value,
      call: now,
      node: target,
      incarnation: target.incarnation,
      index: result.index,
      term: result.term,
    });
  }

  private startRead(now: number, clientId: number, node: SimNode, key: string): void {
    const raw = node.raw;
    if (raw === undefined) return;
    const requestId = `r${this.opCounter++}`;
    const accepted = this.options.useLeaseReads ? raw.leaseRead(requestId) : raw.readIndex(requestId);
    if (!accepted.ok) return;
    this.busy.add(clientId);
    this.reads.set(requestId, { clientId, key, call: now, node, incarnation: node.incarnation, requestId, index: undefined });
  }

  onApplied(node: SimNode, entry: Entry, now: number): void {
    const w = this.writes.get(`${node.id}#${entry.index}`);
    if (w === undefined || w.incarnation !== node.incarnation) return;
    this.writes.delete(`${node.id}#${entry.index}`);
    this.busy.delete(w.clientId);
    if (entry.term === w.term) {
      this.completedWrites++;
      this.history.push({ clientId: w.clientId, input: { kind: "write", key: w.key, value: w.value }, call: w.call, output: { kind: "write" }, return: now });
    }
    // Another entry took the index: the write certainly did not happen.
  }

  onReadState(node: SimNode, rs: ReadState): void {
    const r = this.reads.get(rs.requestId);
    if (r === undefined || r.node !== node || r.incarnation !== node.incarnation || r.index !== undefined) return;
    r.index = rs.index;
  }

  /** Completes reads whose index is applied; gives up on stale operations. */
  poll(now: number): void {
    for (const [id, r] of this.reads) {
      const gone = !r.node.alive || r.node.incarnation !== r.incarnation;
      if (gone || now - r.call > this.options.timeout) {
        this.reads.delete(id);
        this.busy.delete(r.clientId);
        continue;
      }
      if (r.index !== undefined && r.node.fsm.applied >= r.index) {
        this.reads.delete(id);
        this.busy.delete(r.clientId);
        this.completedReads++;
        const value = r.node.fsm.values.get(r.key) ?? null;
        this.history.push({ clientId: r.clientId, input: { kind: "read", key: r.key }, call: r.call, output: { kind: "read", value }, return: now });
      }
    }
    for (const [id, w] of this.writes) {
      const gone = !w.node.alive || w.node.incarnation !== w.incarnation;
      // Applied past the index without seeing it (a snapshot jumped over it): unknown.
      const skipped = w.node.fsm.applied >= w.index;
      if (gone || skipped || now - w.call > this.options.timeout) {
        this.writes.delete(id);
        this.busy.delete(w.clientId);
        this.recordAmbiguous(w);
      }
    }
  }

  private recordAmbiguous(w: InFlightWrite): void {
    this.history.push({
      clientId: w.clientId,
      input: { kind: "write", key: w.key, value: w.value },
      call: w.call,
      output: undefined,
      return: Number.POSITIVE_INFINITY,
    });
  }

  /** Ends the run: every write still open is ambiguous, open reads are dropped. */
  finish(): void {
    for (const w of this.writes.values()) this.recordAmbiguous(w);
    this.writes.clear();
    this.deferred = [];
    this.reads.clear();
    this.busy.clear();
  }
}
