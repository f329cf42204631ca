/** Request limits enforced before anything is proposed. */
export interface Limits {
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  /** Whole request message, enforced by the server before decoding. */
  readonly maxRequestBytes: number;
  /** Range page size when the request gives no limit. */
  readonly defaultPageSize: number;
  /** Largest limit a Range may ask for: bounds server memory per request. */
  readonly maxPageSize: number;
  /**
   * Bytes of keys and values one Range page, or all reads of one Txn
   * together, may answer: past it a page ends early (`more`, `next_key`),
   * holding at least one key. It also bounds how long one answer holds the
   * event loop: protobuf-es encodes about 70 MB/s on a 2-core VM, so a
   * 64 MiB answer blocked heartbeats for a second (an election).
   */
  readonly maxResponseBytes: number;
  /** Keys the reads of one Txn branch may return (range limits plus gets), refused before it is proposed. */
  readonly maxTxnReadKeys: number;
  /** Leases the cluster may hold; a grant past it is refused. */
  readonly maxLeases: number;
  /** Watch streams (and REST blocking queries) one client connection may hold open. */
  readonly maxWatchesPerConnection: number;
  /** Watch streams (and REST blocking queries) this node may hold open. */
  readonly maxWatches: number;
}

export const defaultLimits: Limits = {
  maxKeyBytes: 4 * 1024,
  maxValueBytes: 1024 * 1024,
  maxRequestBytes: 2 * 1024 * 1024,
  defaultPageSize: 1000,
  maxPageSize: 10_000,
  maxResponseBytes: 16 * 1024 * 1024,
  maxTxnReadKeys: 100_000,
  maxLeases: 100_000,
  maxWatchesPerConnection: 10_000,
  maxWatches: 100_000,
};
