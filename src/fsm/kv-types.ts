import type { Entry } from "../raft/entry.ts";
import type { FileDigest } from "../storage/snapshot-store.ts";

/** One key as the state machine stores it, with etcd-style metadata. */
export interface StoredKv {
  readonly key: Uint8Array;
  /** Empty when read with keysOnly. */
  readonly value: Uint8Array;
  /** Log index of the put that created the key (since its last delete). */
  readonly createIndex: number;
  /** Log index of the last put. */
  readonly modIndex: number;
  /** 1 after creation, +1 per put; a delete ends the key's life (the next put starts at 1 again). */
  readonly version: number;
  /** Lease id attached by the last put; 0 for none. */
  readonly lease: number;
}

/**
 * The state machine's answer for one applied log entry. `prev`/`prevs` are
 * only filled when the command asked for prev_kv, which keeps the common put a
 * single upsert statement.
 */
export type ApplyResult =
  | { readonly kind: "put"; readonly index: number; readonly prev?: StoredKv }
  | { readonly kind: "delete"; readonly index: number; readonly deleted: number; readonly prevs: readonly StoredKv[] }
  /** A transaction: which branch ran and one answer per operation of that branch. */
  | { readonly kind: "txn"; readonly index: number; readonly succeeded: boolean; readonly responses: readonly TxnOpResult[] }
  | { readonly kind: "leaseGrant"; readonly index: number; readonly id: number; readonly ttlMs: number }
  /** Revoked or expired: `deleted` keys were attached to it and are gone. */
  | { readonly kind: "leaseRevoke"; readonly index: number; readonly id: number; readonly deleted: number }
  /** History before compactIndex is gone. */
  | { readonly kind: "compact"; readonly index: number; readonly compactIndex: number }
  /** The quota alarm was raised (active) or cleared. */
  | { readonly kind: "alarm"; readonly index: number; readonly active: boolean }
  /** noop and config entries: nothing to do for the key space. */
  | { readonly kind: "none"; readonly index: number }
  /**
   * A command that cannot be applied (undecodable, empty key, a lease that does not exist or already exists, a malformed
   * or refused txn, a compaction above its own index). Deterministic: every replica gives the same answer; nothing was written.
   */
  | { readonly kind: "error"; readonly index: number; readonly message: string; readonly code?: RefusalCode };

/** Why a refusal happened, where a client must tell it apart: "quota" is RESOURCE_EXHAUSTED, not a failed precondition. */
export type RefusalCode = "quota";

/** The replicated quota alarm (see AlarmCommand). */
export interface QuotaAlarm {
  readonly active: boolean;
  /** The leader's database size and quota when it raised or cleared the alarm. */
  readonly usedBytes: number;
  readonly quotaBytes: number;
  readonly memberId: string;
  /** The log index of the decision (0: never raised). */
  readonly index: number;
}

export interface RangeQuery {
  readonly start: Uint8Array;
  /**
   * Exclusive end. undefined = no upper bound; also a single 0x00 byte (etcd's
   * "\0" = everything from start on). An EMPTY array means the single key
   * `start` (etcd's empty range_end), so proto fields can be passed as they are.
   */
  readonly end?: Uint8Array;
  /** Maximum number of kvs returned; 0 = no limit (etcd). Callers should set one. */
  readonly limit: number;
  readonly keysOnly: boolean;
  readonly countOnly: boolean;
  /**
   * Bytes of keys and values the page may hold (default: no bound besides
   * `limit`); a page past it ends early with `more`, but holds at least one key.
   */
  readonly maxBytes?: number;
}

export interface RangeResult {
  readonly kvs: readonly StoredKv[];
  /** More keys in the range beyond `limit`. */
  readonly more: boolean;
  /** Number of keys in the whole range (not just the returned page). */
  readonly count: number;
  /** When `more`: the first key not returned, to continue a paged scan from. */
  readonly nextKey?: Uint8Array;
}

/** Where the state machine stands: the last applied log position. */
export interface AppliedPosition {
  readonly index: number;
  readonly term: number;
}

/**
 * The position a snapshot copy holds, with the last config entry applied at
 * or below it, so the membership as of the snapshot's index travels with the
 * data (decode it with decodeMembership from src/raft/membership-codec.ts).
 */
export interface SnapshotPosition extends AppliedPosition {
  readonly config?: Entry;
}

/** A snapshot file the state machine wrote: the position it reflects and the file as fsynced. */
export interface SnapshotCopy extends SnapshotPosition {
  readonly file: FileDigest;
}

/**
 * One change to one key, as Watch delivers it and history keeps it. For a
 * delete, `kv` is a tombstone: the key, an empty value, modIndex = the
 * deleting entry's index, createIndex/version/lease 0.
 */
export interface ChangeEvent {
  readonly type: "put" | "delete";
  readonly kv: StoredKv;
  /** The key's state before this change, when the state machine has it at hand (see KvStateMachine.previousRevision). */
  readonly prev?: StoredKv;
}

/**
 * What listeners registered with KvStateMachine.onChange hear, synchronously,
 * after each applied batch is committed (never for a batch that rolled back).
 */
export type ChangeNotice =
  /** Events of the batch in index order (within one entry, in operation order); `index` is the new applied index. */
  | { readonly kind: "applied"; readonly index: number; readonly events: readonly ChangeEvent[] }
  /** A snapshot restore replaced the whole state: watchers must start over. */
  | { readonly kind: "restored"; readonly index: number };

/** Per-key history for Watch replay, read by KvStateMachine.historySince. */
export type HistoryPage =
  /** Events with index >= the asked index, in index order; `more` when the limit cut the page (continue from the last event's index + 1). */
  | { readonly kind: "events"; readonly events: readonly ChangeEvent[]; readonly more: boolean }
  /** The asked index is older than the history kept: replay can start at compactIndex at the earliest. */
  | { readonly kind: "compacted"; readonly compactIndex: number };

/** A lease as the replicated state knows it (expiry is the leader's in-memory decision, not state). */
export interface LeaseRecord {
  readonly id: number;
  readonly ttlMs: number;
  /** Index of the entry that granted it. */
  readonly grantIndex: number;
}

/** The answer to one operation inside a transaction. */
export type TxnOpResult =
  | { readonly kind: "put"; readonly prev?: StoredKv }
  | { readonly kind: "delete"; readonly deleted: number; readonly prevs: readonly StoredKv[] }
  | { readonly kind: "get"; readonly kv?: StoredKv }
  | { readonly kind: "range"; readonly result: RangeResult };
