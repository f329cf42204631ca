/**
 * How to drive this core. Create one RawNode per server with a RaftStorage
 * holding what is durable (for a brand-new cluster, first write
 * bootstrapEntries() and their hard state to it). Call tick() at a fixed
 * interval (the tick is the unit of every timeout in RaftConfig), step()
 * with every Message that arrives from a peer, and propose()/readIndex()/
 * changeMembership()/transferLeadership() on behalf of clients; each
 * returns at once and never blocks. Then loop: while hasReady(), take
 * ready(), do exactly what the Ready type's doc says in that order (send
 * `messages` at once; persist snapshot, entries and hard state; send
 * `messagesAfterPersist`; apply `committedEntries`; release `readStates`),
 * and call advance() with that same Ready before asking for the next one.
 * Stepping and ticking between ready() and advance() is allowed. A
 * proposal's (index, term) took effect iff the entry applied at that index
 * has that term. Nothing here does I/O, reads a clock or draws randomness
 * (RaftConfig.random is injected), so the simulator replays it exactly.
 */
import type { RaftConfig } from "./config.ts";
import type { Entry } from "./entry.ts";
import type { HardState } from "./hard-state.ts";
import type { Member, Membership } from "./membership.ts";
import type { MembershipChange } from "./membership-change.ts";
import { encodeMembers } from "./membership-codec.ts";
import { canSendBeforePersist, type Message } from "./message.ts";
import type { AcceptResult, ProposalResult } from "./proposal-result.ts";
import { Raft } from "./raft.ts";
import type { RaftEvent } from "./raft-event.ts";
import type { RaftLogView } from "./raft-log-view.ts";
import type { PeerStats, RaftStats, RaftStatus } from "./raft-stats.ts";
import type { RaftView } from "./raft-view.ts";
import type { Ready } from "./ready.ts";
import type { Role } from "./role.ts";

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** The first log entry and hard state of a new cluster, identical on every initial member. */
export function bootstrapEntries(members: readonly Member[]): { entries: Entry[]; hardState: HardState } {
  if (!members.some((m) => m.suffrage === "voter")) throw new Error("bootstrap: at least one voter is required");
  return {
    entries: [{ index: 1, term: 1, kind: "config", data: encodeMembers(members) }],
    hardState: { term: 1, vote: "", commit: 1 },
  };
}

export class RawNode {
  private readonly raft: Raft;
  private persistedHardState: HardState;
  private lastRole: Role;
  private lastLeader: string;
  private awaitingAdvance = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.persistedHardState = config.storage.initialState();
    this.lastRole = this.raft.role();
    this.lastLeader = this.raft.leader();
  }

  tick(): void {
    this.raft.tick();
  }

  step(message: Message): void {
    this.raft.step(message);
  }

  /** Starts an election now (if this node is a voter). */
  campaign(): void {
    this.raft.hup(false);
  }

  propose(data: Uint8Array): ProposalResult {
    return this.raft.propose(data);
  }

  proposeBatch(datas: readonly Uint8Array[]): ProposalResult {
    return this.raft.proposeBatch(datas);
  }

  /** A no-op entry: once applied, every entry before it is applied (hashicorp's Barrier). */
  barrier(): ProposalResult {
    return this.raft.barrier();
  }

  /** prevIndex: 0, or the configuration index the caller saw (hashicorp's prevIndex guard). */
  changeMembership(change: MembershipChange, prevIndex = 0): ProposalResult {
    return this.raft.changeMembership(change, prevIndex);
  }

  /** Target undefined: the most up-to-date voter. */
  transferLeadership(target?: string): AcceptResult {
    return this.raft.transferLeadership(target);
  }

  /** Linearizable read: a ReadState with requestId comes back in a later Ready. */
  readIndex(requestId: string): AcceptResult {
    return this.raft.readIndex(requestId);
  }

  /** Lease read if enabled and valid (see RaftConfig.leaseTicks), otherwise ReadIndex. */
  leaseRead(requestId: string): AcceptResult {
    return this.raft.leaseRead(requestId);
  }

  snapshotTaken(index: number): void {
    this.raft.snapshotTaken(index);
  }

  reportUnreachable(peer: string): void {
    this.raft.reportUnreachable(peer);
  }

  reportSnapshot(peer: string, succeeded: boolean): void {
    this.raft.reportSnapshot(peer, succeeded);
  }

  membership(): Membership {
    return this.raft.membership();
  }

  /** The configuration in effect at `index` (for the metadata of a snapshot taken there). */
  membershipAt(index: number): Membership {
    return this.raft.membershipAt(index);
  }

  role(): Role {
    return this.raft.role();
  }

  leader(): string {
    return this.raft.view().leader;
  }

  /** The log, read-only (the simulators' invariants read it). */
  log(): RaftLogView {
    return this.raft.log();
  }

  /** The consensus state, read-only. */
  view(): RaftView {
    return this.raft.view();
  }

  /** The latest heartbeat round sent as leader (0 otherwise); acknowledgements of later rounds are forged. */
  heartbeatRound(): number {
    return this.raft.heartbeatRound();
  }

  private appliedBase(): number {
    const log = this.raft.log();
    return Math.max(log.applied, log.unstableSnapshot()?.index ?? 0);
  }

  hasReady(): boolean {
    const r = this.raft;
    const log = r.log();
    return (
      r.hasOutput() ||
      log.unstableEntries().length > 0 ||
      log.unstableSnapshot() !== undefined ||
      log.committed > this.appliedBase() ||
      r.role() !== this.lastRole ||
      r.leader() !== this.lastLeader ||
      !sameHardState(r.hardState(), this.persistedHardState)
    );
  }

  ready(): Ready {
    if (this.awaitingAdvance) throw new Error(`raft ${this.raft.id}: ready() called before advance() of the previous Ready`);
    const r = this.raft;
    const log = r.log();
    const hs = r.hardState();
    const output = r.takeOutput();
    const events: RaftEvent[] = [];
    const role = r.role();
    if (role !== this.lastRole) {
      events.push({ kind: "roleChanged", role, term: hs.term });
      this.lastRole = role;
    }
    const leader = r.leader();
    if (leader !== this.lastLeader) {
      events.push({ kind: "leaderChanged", leader, term: hs.term });
      this.lastLeader = leader;
    }
    for (const e of output.events) events.push(e);
    const from = this.appliedBase() + 1;
    const committedEntries = log.committed >= from ? (log.slice(from, log.committed + 1, Number.POSITIVE_INFINITY) ?? []) : [];
    if (committedEntries.length !== Math.max(0, log.committed + 1 - from)) {
      throw new Error(`raft ${r.id}: committed entries [${from}, ${log.committed}] unavailable`);
    }
    const messages: Message[] = [];
    const messagesAfterPersist: Message[] = [];
    // A leader's early messages rest on its term being durable, which its vote requests normally
    // ensured; a sole voter wins without sending any, so until its new term is written nothing leaves.
    const termDurable = hs.term === this.persistedHardState.term;
    for (const m of output.messages) (termDurable && canSendBeforePersist(m.kind) ? messages : messagesAfterPersist).push(m);
    const ready: Ready = {
      hardState: sameHardState(hs, this.persistedHardState) ? undefined : hs,
      entries: log.unstableEntries().slice(),
      snapshot: log.unstableSnapshot(),
      committedEntries,
      messages,
      messagesAfterPersist,
      readStates: output.readStates,
      events,
      compactLogTo: output.compactLogTo,
    };
    this.awaitingAdvance = true;
    return ready;
  }

  advance(ready: Ready): void {
    if (!this.awaitingAdvance) throw new Error(`raft ${this.raft.id}: advance() without a Ready`);
    this.awaitingAdvance = false;
    const r = this.raft;
    if (ready.hardState !== undefined) this.persistedHardState = ready.hardState;
    if (ready.snapshot !== undefined) {
      r.onSnapshotPersisted(ready.snapshot.index);
      r.onApplied(ready.snapshot.index);
    }
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) r.onApplied(lastCommitted.index);
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) r.onPersisted(lastEntry.index, lastEntry.term);
  }

  /**
   * The fields every client response carries (term, leader) and a few more,
   * without building full stats (peers, membership): cheap enough per request.
   */
  status(): RaftStatus {
    const log = this.raft.log();
    const view = this.raft.view();
    return { role: view.role, term: view.term, leader: view.leader, commitIndex: log.committed, lastLogIndex: log.lastIndex() };
  }

  stats(): RaftStats {
    const log = this.raft.log();
    const view = this.raft.view();
    const snap = log.unstableSnapshot() ?? log.storedSnapshot();
    return {
      id: view.id,
      role: view.role,
      term: view.term,
      vote: view.vote,
      leader: view.leader,
      lastLogIndex: log.lastIndex(),
      lastLogTerm: log.lastTerm(),
      commitIndex: log.committed,
      appliedIndex: log.applied,
      lastSnapshotIndex: snap.index,
      lastSnapshotTerm: snap.term,
      membership: this.raft.membership(),
      ticksSinceLeaderContact: view.role === "leader" ? 0 : view.electionElapsed,
      peers: view.peers.map(
        (p): PeerStats => ({ id: p.id, match: p.match, next: p.next, state: p.state, ticksSinceContact: view.nowTick - p.lastContactTick }),
      ),
      leadTransferee: view.leadTransferee,
      pendingPromotions: view.pendingPromotions,
    };
  }
}
