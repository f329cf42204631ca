import type { Membership } from "../raft/membership.ts";
import type { AppendEntries, Message } from "../raft/message.ts";
import type { RaftStatus } from "../raft/raft-stats.ts";
import { maxTerm } from "../raft/term-limit.ts";
import type { PeerPayload, SnapshotAck, SnapshotChunk } from "./peer-message-codec.ts";

/** Why a peer payload was dropped before it reached the core; stable names (they label a metric). */
export const peerRejectionReasons = [
  "undecodable",
  "sender-mismatch",
  "unknown-sender",
  "term-out-of-range",
  "not-the-leader",
  "ack-beyond-log",
  "inconsistent-indexes",
  "bare-snapshot",
  "incarnation",
] as const;

export type PeerRejectionReason = (typeof peerRejectionReasons)[number];

export interface PeerRejection {
  readonly reason: PeerRejectionReason;
  readonly detail: string;
}

/** What the guard reads of this node's Raft state (RawNode fits). */
export interface PeerGuardView {
  status(): RaftStatus;
  membership(): Membership;
  /** The latest heartbeat round this node sent as leader (0 when not leading). */
  heartbeatRound(): number;
}

/**
 * How far above our own term a peer's term may be. Elections raise the term
 * by one each (pre-vote keeps a partitioned node from raising it at all), so
 * a million elections missed is beyond any real absence; a forger needs
 * 2^28 accepted messages, each costing the receiver an fsync, to walk the
 * cluster up to maxTerm.
 */
export const maxTermStep = 2 ** 20;

/**
 * Checks a decoded peer payload against what this node knows, before any of
 * it reaches the Raft core (which trusts its input). Returns why it must be
 * dropped, or undefined. Only what an honest member never sends is refused,
 * so a dropped message costs no liveness: a sender the configuration does
 * not list is still heard when it may be a leader this node has not learned
 * of yet (leader traffic at a term >= ours: see RaftMemberAddresses.syncPeers),
 * or a candidate whose log goes past our latest configuration (it may hold
 * the entry that added it). What an honest member could send is not told
 * apart from a forgery here: mutual TLS keeps strangers off the Raft port.
 */
export function checkPeerPayload(selfId: string, view: PeerGuardView, from: string, payload: PeerPayload): PeerRejection | undefined {
  switch (payload.kind) {
    case "raft":
      return checkRaftMessage(selfId, view, from, payload.message);
    case "snapshotChunk":
      return checkSnapshotChunk(view, from, payload);
    case "snapshotAck":
      return checkSnapshotAck(view, from, payload);
    case "clientAddress":
    case "refusal":
      // Only the leader acts on an address note, and only for members; a refusal is only logged.
      return payload.from === from ? undefined : senderMismatch(payload.from);
    default: {
      const unreachable: never = payload;
      throw new Error(`unknown peer payload ${JSON.stringify(unreachable)}`);
    }
  }
}

function reject(reason: PeerRejectionReason, detail: string): PeerRejection {
  return { reason, detail };
}

function senderMismatch(claimed: string): PeerRejection {
  return reject("sender-mismatch", `the message claims to come from ${JSON.stringify(claimed)}, not the sender its connection named`);
}

/** A log index, term or counter as the codec produces them; anything else never came from an honest encoder. */
function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function badNumber(field: string, value: number): PeerRejection {
  return reject("inconsistent-indexes", `${field} is ${value}, not a non-negative integer`);
}

function checkTerm(term: number, ours: number): PeerRejection | undefined {
  if (!isCount(term)) return badNumber("term", term);
  if (term > maxTerm) return reject("term-out-of-range", `term ${term} is above the largest term a node adopts (${maxTerm})`);
  if (term > ours + maxTermStep) {
    return reject("term-out-of-range", `term ${term} is more than ${maxTermStep} above this node's term ${ours}`);
  }
  return undefined;
}

function isMember(membership: Membership, id: string): boolean {
  return membership.members.some((m) => m.id === id);
}

/**
 * Leader traffic at our own term must come from the leader we follow: one
 * leader per term, and a leader never hears another at its own term.
 */
function checkClaimsLeadership(status: RaftStatus, from: string, term: number): PeerRejection | undefined {
  if (term !== status.term) return undefined;
  if (status.role === "leader") return reject("not-the-leader", `this node leads term ${term} itself`);
  if (status.leader !== "" && status.leader !== from) {
    return reject("not-the-leader", `this node follows ${status.leader} in term ${term}`);
  }
  return undefined;
}

/** Messages that only the leader this node follows sends, at its term. */
function checkFromOurLeader(status: RaftStatus, from: string, term: number): PeerRejection | undefined {
  if (term < status.term) return undefined; // stale: the core ignores it
  if (term === status.term && status.leader === from && status.role !== "leader") return undefined;
  return reject("not-the-leader", `term ${term} from ${from}, but this node follows ${status.leader || "no leader"} in term ${status.term}`);
}

function checkRaftMessage(selfId: string, view: PeerGuardView, from: string, m: Message): PeerRejection | undefined {
  if (m.from !== from) return senderMismatch(m.from);
  if (from === selfId) return reject("unknown-sender", "the sender claims to be this node");
  if (m.kind === "installSnapshot") return reject("bare-snapshot", "an InstallSnapshot message sent without its data");
  const status = view.status();
  const termProblem = checkTerm(m.term, status.term);
  if (termProblem !== undefined) return termProblem;
  const membership = view.membership();
  if (!isMember(membership, from) && !mayComeFromNonMember(m, status, membership)) {
    return reject(
      "unknown-sender",
      `${from} is not in this node's configuration (index ${membership.index}): from a non-member only a leader's appends ` +
        `at a term >= ${status.term} and vote requests past that configuration are heard, not a ${m.kind} at term ${m.term}`,
    );
  }
  switch (m.kind) {
    case "append":
      return checkClaimsLeadership(status, from, m.term) ?? checkAppendIndexes(m);
    case "heartbeat":
      if (!isCount(m.commit)) return badNumber("commit", m.commit);
      if (!isCount(m.round)) return badNumber("round", m.round);
      return checkClaimsLeadership(status, from, m.term);
    case "appendResponse":
      for (const [field, value] of [
        ["index", m.index],
        ["hintIndex", m.hintIndex],
        ["hintTerm", m.hintTerm],
      ] as const) {
        if (!isCount(value)) return badNumber(field, value);
      }
      if (m.index > status.lastLogIndex) {
        return reject("ack-beyond-log", `acknowledges index ${m.index}, beyond this node's last index ${status.lastLogIndex}`);
      }
      if (m.reject && (m.hintIndex > m.index || m.hintTerm > m.term)) {
        return reject("inconsistent-indexes", `a rejection of index ${m.index} hints index ${m.hintIndex} at term ${m.hintTerm} (message term ${m.term})`);
      }
      return undefined;
    case "heartbeatResponse": {
      if (!isCount(m.round)) return badNumber("round", m.round);
      const sent = view.heartbeatRound();
      if (status.role === "leader" && m.term === status.term && m.round > sent) {
        return reject("ack-beyond-log", `acknowledges heartbeat round ${m.round}, beyond the latest round sent (${sent})`);
      }
      return undefined;
    }
    case "requestVote":
      if (!isCount(m.lastIndex)) return badNumber("lastIndex", m.lastIndex);
      if (!isCount(m.lastTerm)) return badNumber("lastTerm", m.lastTerm);
      if (m.lastTerm > m.term) return reject("inconsistent-indexes", `last log term ${m.lastTerm} is above the vote's term ${m.term}`);
      return undefined;
    case "voteResponse":
    case "readIndex":
      return undefined;
    case "timeoutNow":
      return checkFromOurLeader(status, from, m.term);
    case "readIndexResponse":
      if (!isCount(m.index)) return badNumber("index", m.index);
      return checkFromOurLeader(status, from, m.term);
    default: {
      const unreachable: never = m;
      throw new Error(`unknown raft message ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * What a sender missing from our configuration may still send: a leader's
 * appends and heartbeats at a term >= ours (our configuration may predate
 * it), and a vote request whose log goes past our latest configuration.
 */
function mayComeFromNonMember(m: Message, status: RaftStatus, membership: Membership): boolean {
  switch (m.kind) {
    case "append":
    case "heartbeat":
      return m.term >= status.term;
    case "requestVote":
      return m.lastIndex > membership.index;
    default:
      return false;
  }
}

/** Entries follow prevIndex one by one, terms never decrease nor pass the leader's. */
function checkAppendIndexes(m: AppendEntries): PeerRejection | undefined {
  if (!isCount(m.prevIndex)) return badNumber("prevIndex", m.prevIndex);
  if (!isCount(m.prevTerm)) return badNumber("prevTerm", m.prevTerm);
  if (!isCount(m.commit)) return badNumber("commit", m.commit);
  if (m.prevTerm > m.term) return reject("inconsistent-indexes", `prevTerm ${m.prevTerm} is above the message term ${m.term}`);
  let previousTerm = m.prevTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i];
    if (e === undefined) continue;
    if (e.index !== m.prevIndex + 1 + i) {
      return reject("inconsistent-indexes", `entries[${i}] has index ${e.index}, expected ${m.prevIndex + 1 + i} (prevIndex ${m.prevIndex})`);
    }
    if (!isCount(e.term) || e.term < 1 || e.term < previousTerm || e.term > m.term) {
      return reject("inconsistent-indexes", `entries[${i}] has term ${e.term}: terms run from ${Math.max(1, previousTerm)} to the message term ${m.term}`);
    }
    previousTerm = e.term;
  }
  // A commit index past what the append covers is not refused: the core commits at most up to the append's
  // last entry (etcd's min(commit, lastnewi)), and leaders before the term bound sent their whole commit index,
  // so refusing it would stall a lagging follower behind a leader of the previous version.
  return undefined;
}

function checkSnapshotChunk(view: PeerGuardView, from: string, chunk: SnapshotChunk): PeerRejection | undefined {
  if (chunk.from !== from) return senderMismatch(chunk.from);
  const status = view.status();
  const termProblem = checkTerm(chunk.term, status.term);
  if (termProblem !== undefined) return termProblem;
  // Leader traffic: a leader our configuration does not know yet may send us its snapshot.
  if (!isMember(view.membership(), from) && chunk.term < status.term) {
    return reject("unknown-sender", `${from} is not in this node's configuration and sends a snapshot at an old term ${chunk.term}`);
  }
  const s = chunk.snapshot;
  for (const [field, value] of [
    ["offset", chunk.offset],
    ["snapshot.index", s.index],
    ["snapshot.term", s.term],
    ["snapshot.membership.index", s.membership.index],
  ] as const) {
    if (!isCount(value)) return badNumber(field, value);
  }
  if (s.index < 1 || s.term < 1 || s.term > chunk.term || s.membership.index > s.index) {
    return reject("inconsistent-indexes", `snapshot ${s.index} at term ${s.term} (configuration index ${s.membership.index}) sent at term ${chunk.term}`);
  }
  return checkClaimsLeadership(status, from, chunk.term);
}

function checkSnapshotAck(view: PeerGuardView, from: string, ack: SnapshotAck): PeerRejection | undefined {
  if (ack.from !== from) return senderMismatch(ack.from);
  if (!isMember(view.membership(), from)) return reject("unknown-sender", `${from} is not in this node's configuration`);
  for (const [field, value] of [
    ["index", ack.index],
    ["term", ack.term],
    ["nextOffset", ack.nextOffset],
  ] as const) {
    if (!isCount(value)) return badNumber(field, value);
  }
  return undefined;
}
