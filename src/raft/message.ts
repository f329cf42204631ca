import type { Entry } from "./entry.ts";
import type { SnapshotMeta } from "./snapshot-meta.ts";

/**
 * Every message between Raft peers. Plain data only (no classes, no
 * functions) so that the transport can encode it field by field.
 */
interface Envelope {
  readonly from: string;
  readonly to: string;
  /** Sender's term (for a pre-vote request: the term it would campaign in). */
  readonly term: number;
}

export interface AppendEntries extends Envelope {
  readonly kind: "append";
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends Envelope {
  readonly kind: "appendResponse";
  readonly reject: boolean;
  /** Success: highest index known to match. Reject: the prevIndex that was rejected. */
  readonly index: number;
  /** Reject only: the follower's guess of where the logs agree (fast backtracking). */
  readonly hintIndex: number;
  /** Reject only: the follower's term at hintIndex. */
  readonly hintTerm: number;
}

export interface Heartbeat extends Envelope {
  readonly kind: "heartbeat";
  /** min(leader commit, follower match): never lets a follower commit what it has not matched. */
  readonly commit: number;
  /** Heartbeat round id, echoed back; confirms leadership for ReadIndex and leases. */
  readonly round: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly kind: "heartbeatResponse";
  readonly round: number;
}

export interface RequestVote extends Envelope {
  readonly kind: "requestVote";
  readonly preVote: boolean;
  /** Set when campaigning because of a leadership transfer: voters ignore their leader lease. */
  readonly transfer: boolean;
  readonly lastIndex: number;
  readonly lastTerm: number;
}

export interface VoteResponse extends Envelope {
  readonly kind: "voteResponse";
  readonly preVote: boolean;
  readonly granted: boolean;
}

/**
 * Only the snapshot's metadata: the engine streams the data (chunked) next
 * to the message and hands the message to the core once the data arrived.
 */
export interface InstallSnapshot extends Envelope {
  readonly kind: "installSnapshot";
  readonly snapshot: SnapshotMeta;
}

export interface TimeoutNow extends Envelope {
  readonly kind: "timeoutNow";
}

/** A follower asking the leader for a read index on behalf of its client. */
export interface ReadIndexRequest extends Envelope {
  readonly kind: "readIndex";
  readonly requestId: string;
}

export interface ReadIndexResponse extends Envelope {
  readonly kind: "readIndexResponse";
  readonly requestId: string;
  readonly index: number;
}

export type Message =
  | AppendEntries
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | RequestVote
  | VoteResponse
  | InstallSnapshot
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageKind = Message["kind"];

/**
 * Whether a message may leave before the Ready it came with is durable.
 * Only leader-originated traffic may: a leader's term is already durable
 * (it was persisted before its vote requests went out), and entries it
 * sends unpersisted are not counted for its own match until persisted.
 * Everything else vouches for persisted state (votes, acks, terms).
 */
export function canSendBeforePersist(kind: MessageKind): boolean {
  switch (kind) {
    case "append":
    case "heartbeat":
    case "installSnapshot":
    case "timeoutNow":
    case "readIndexResponse":
      return true;
    case "appendResponse":
    case "heartbeatResponse":
    case "requestVote":
    case "voteResponse":
    case "readIndex":
      return false;
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown message kind ${String(unreachable)}`);
    }
  }
}
