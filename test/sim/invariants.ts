import type { Entry } from "../../src/raft/entry.ts";
import type { Membership } from "../../src/raft/membership.ts";
import { voterIds } from "../../src/raft/membership-codec.ts";
import type { RaftLogView } from "../../src/raft/raft-log-view.ts";
import type { RaftView } from "../../src/raft/raft-view.ts";
import { SimFailure } from "./sim-failure.ts";
import type { SimNode } from "./sim-node.ts";

const decoder = new TextDecoder();

function signature(e: Entry): string {
  return `${e.term}/${e.kind}/${decoder.decode(e.data)}`;
}

/** One live node as the checks see it: only the core's public, read-only surface. */
interface CoreState {
  readonly id: string;
  readonly view: RaftView;
  readonly log: RaftLogView;
  readonly membership: Membership;
}

interface NodeMarks {
  incarnation: number;
  commit: number;
  applied: number;
  leaderTermChecked: number;
}

/**
 * Raft's safety properties, checked after every simulation step:
 * election safety, log matching, leader completeness, state machine
 * safety, monotonic commit/applied, and at most one uncommitted
 * configuration change in a leader's log.
 */
export class InvariantChecker {
  private readonly leaderOfTerm = new Map<number, string>();
  /** Term of every entry known committed anywhere, by index. */
  private readonly committedTerm = new Map<number, number>();
  /**
   * Per committed index, the lowest current term of a node seen holding it
   * committed: an upper bound on the term in which it was committed (a node
   * learns of a commit from a leader of its own term or decides it itself).
   */
  private readonly committedBy = new Map<number, number>();
  private maxCommitted = 0;
  /** Signature of the entry applied at each index, by whoever applied it first. */
  private readonly appliedSignature = new Map<number, string>();
  private readonly marks = new Map<string, NodeMarks>();
  now = 0;

  private fail(message: string): never {
    throw new SimFailure(message, this.now);
  }

  onApplied(node: SimNode, entry: Entry): void {
    const sig = signature(entry);
    const seen = this.appliedSignature.get(entry.index);
    if (seen === undefined) this.appliedSignature.set(entry.index, sig);
    else if (seen !== sig) this.fail(`state machine safety: ${node.id} applied ${sig} at ${entry.index}, another node applied ${seen}`);
  }

  check(nodes: readonly SimNode[]): void {
    const live: CoreState[] = [];
    for (const node of nodes) {
      const raw = node.raw;
      if (raw === undefined) continue;
      const r: CoreState = { id: node.id, view: raw.view(), log: raw.log(), membership: raw.membership() };
      live.push(r);
      this.checkNode(node, r);
    }
    this.checkCommittedEntryIsSafe(nodes);
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) this.checkLogMatching(live[a] as CoreState, live[b] as CoreState);
    }
  }

  private checkNode(node: SimNode, r: CoreState): void {
    const log = r.log;
    let m = this.marks.get(node.id);
    if (m === undefined || m.incarnation !== node.incarnation) {
      m = { incarnation: node.incarnation, commit: log.committed, applied: node.fsm.applied, leaderTermChecked: 0 };
      this.marks.set(node.id, m);
    }
    if (log.committed < m.commit) this.fail(`${r.id}: commit went back from ${m.commit} to ${log.committed}`);
    if (node.fsm.applied < m.applied) this.fail(`${r.id}: applied went back from ${m.applied} to ${node.fsm.applied}`);
    if (log.committed > log.lastIndex()) this.fail(`${r.id}: commit ${log.committed} beyond last index ${log.lastIndex()}`);
    if (node.fsm.applied > log.committed) this.fail(`${r.id}: applied ${node.fsm.applied} beyond commit ${log.committed}`);
    // Every newly committed entry must agree with what anyone else committed there.
    for (let i = Math.max(m.commit + 1, log.firstIndex()); i <= log.committed; i++) {
      const t = log.term(i);
      if (t === undefined) continue;
      const known = this.committedTerm.get(i);
      const by = this.committedBy.get(i);
      if (by === undefined || r.view.term < by) this.committedBy.set(i, r.view.term);
      if (known === undefined) this.committedTerm.set(i, t);
      else if (known !== t) this.fail(`${r.id}: committed term ${t} at ${i}, but term ${known} was committed there before`);
    }
    if (log.committed > this.maxCommitted) this.maxCommitted = log.committed;
    m.commit = log.committed;
    m.applied = node.fsm.applied;

    if (r.view.role === "leader") {
      const term = r.view.term;
      const prev = this.leaderOfTerm.get(term);
      if (prev !== undefined && prev !== r.id) this.fail(`election safety: ${prev} and ${r.id} both leaders of term ${term}`);
      this.leaderOfTerm.set(term, r.id);
      if (m.leaderTermChecked !== term) {
        m.leaderTermChecked = term;
        this.checkLeaderCompleteness(r);
      }
      this.checkConfigChanges(r);
    }
  }

  /**
   * The safety argument behind leader completeness, checked directly: a
   * live node lacking the latest committed entry must not be able to
   * collect a quorum of votes judged on logs alone (against each voter's
   * durable log, which is what survives a crash). Catches a wrongly
   * committed entry when it is committed, not only when it is overwritten.
   */
  private checkCommittedEntryIsSafe(nodes: readonly SimNode[]): void {
    const index = this.maxCommitted;
    const term = this.committedTerm.get(index);
    if (term === undefined) return;
    for (const s of nodes) {
      const raw = s.raw;
      if (raw === undefined) continue;
      const log = raw.log();
      if (index < log.firstIndex() - 1 || log.term(index) === term) continue;
      const lastIndex = log.lastIndex();
      const lastTerm = log.lastTerm();
      const voters = voterIds(raw.membership());
      const granting = voters.filter((id) => {
        const v = this.byId(nodes, id);
        if (v === undefined) return false;
        const vLast = v.storage.lastIndex();
        const vTerm = v.storage.term(vLast) ?? 0;
        return lastTerm > vTerm || (lastTerm === vTerm && lastIndex >= vLast);
      });
      if (granting.length >= Math.floor(voters.length / 2) + 1) {
        this.fail(
          `committed entry ${index} (term ${term}) could be lost: ${s.id} lacks it (last ${lastIndex}/${lastTerm}) yet ${granting.join(",")} would vote for it`,
        );
      }
    }
  }

  private byId(nodes: readonly SimNode[], id: string): SimNode | undefined {
    return nodes.find((n) => n.id === id);
  }

  /**
   * A leader of term T holds every entry committed in a term before T. (A
   * stale candidate may still win an old term with old votes, after later
   * terms committed more: that is legal, so only earlier commits count.)
   */
  private checkLeaderCompleteness(r: CoreState): void {
    const log = r.log;
    for (let i = log.firstIndex(); i <= this.maxCommitted; i++) {
      const known = this.committedTerm.get(i);
      const by = this.committedBy.get(i);
      if (known !== undefined && by !== undefined && by < r.view.term && log.term(i) !== known) {
        this.fail(`leader completeness: ${r.id} (term ${r.view.term}) has term ${String(log.term(i))} at committed index ${i} (term ${known})`);
      }
    }
  }

  private checkConfigChanges(r: CoreState): void {
    const log = r.log;
    const tail = log.slice(Math.max(this.maxCommitted + 1, log.firstIndex()), log.lastIndex() + 1, Number.POSITIVE_INFINITY) ?? [];
    let configs = 0;
    for (const e of tail) if (e.kind === "config") configs++;
    if (configs > 1) this.fail(`${r.id}: ${configs} uncommitted configuration changes in the leader's log`);
  }

  private checkLogMatching(a: CoreState, b: CoreState): void {
    const lo = Math.max(a.log.firstIndex(), b.log.firstIndex());
    let i = Math.min(a.log.lastIndex(), b.log.lastIndex());
    while (i >= lo && a.log.term(i) !== b.log.term(i)) i--;
    for (let j = i - 1; j >= lo; j--) {
      if (a.log.term(j) !== b.log.term(j)) {
        this.fail(`log matching: ${a.id} and ${b.id} agree at ${i} but differ at ${j} (${String(a.log.term(j))} vs ${String(b.log.term(j))})`);
      }
    }
  }
}
