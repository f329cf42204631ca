import type { ConnectError } from "@connectrpc/connect";
import type { Event, KeyValue } from "../gen/raftkv/v1/kv_pb.ts";

/**
 * What a resumable watch yields. `compacted` and `abandoned` end the watch
 * unless it was opened with `resync`, in which case the client re-reads the
 * watched keys, yields `resynced` and goes on watching from there.
 */
export type WatchUpdate =
  /** A stream was opened on endpoint (first, or again after a disconnect). */
  | { readonly kind: "connected"; readonly endpoint: string; readonly watchId: string; readonly startIndex: bigint }
  /** Changes in index order; `index` is the highest index among them. Never repeats or skips one. */
  | { readonly kind: "events"; readonly events: readonly Event[]; readonly index: bigint }
  /** Every change up to index has been delivered; never below an index handed over before (a lagging node's lower mark is dropped). */
  | { readonly kind: "progress"; readonly index: bigint }
  /** The history to resume from is gone; compactIndex is the oldest index one can watch from. */
  | { readonly kind: "compacted"; readonly compactIndex: bigint }
  /** A snapshot restore replaced the node's state: re-read from scratch before trusting anything. */
  | { readonly kind: "abandoned"; readonly restoredIndex: bigint }
  /**
   * With `resync`: the watched keys as read at index (paged reads may reflect
   * later writes too; events that follow can repeat those: compare mod_index).
   */
  | { readonly kind: "resynced"; readonly reason: "compacted" | "abandoned"; readonly kvs: readonly KeyValue[]; readonly index: bigint }
  /** The stream broke; the watch resumes from resumeIndex on another (or the same) endpoint. */
  | { readonly kind: "reconnecting"; readonly endpoint: string; readonly error: ConnectError; readonly resumeIndex: bigint };

export interface WatchOptions {
  readonly signal?: AbortSignal;
  /** Re-read and restart cleanly after compacted/abandoned instead of ending the watch. */
  readonly resync?: boolean;
  /** Give up (throw) when no endpoint could serve the watch for this long; default: keep trying. */
  readonly reconnectTimeoutMs?: number;
  /**
   * A stream silent this long is taken as broken and resumed elsewhere (a
   * frozen or partitioned node keeps its connection open). Idle servers send
   * progress every progress_interval_ms, so the default is three of those
   * (30 s with the server's default 10 s).
   */
  readonly idleTimeoutMs?: number;
}
