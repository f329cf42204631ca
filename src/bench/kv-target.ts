import type { ReadLevel } from "./read-level.ts";

export interface StoredPair {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface RangePage {
  readonly pairs: readonly StoredPair[];
  /** True when more keys lie in the range after this page. */
  readonly more: boolean;
}

export type TargetSystem = "raftkv" | "etcd";

/**
 * The store under test as the load generator sees it: the same three calls
 * against raftkv's KV service and etcd's, so both run identical workloads.
 */
export interface KvTarget {
  readonly system: TargetSystem;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  /** undefined when the key is missing. */
  get(key: Uint8Array, read: ReadLevel): Promise<Uint8Array | undefined>;
  /** Keys in [start, end), at most limit of them, in key order. */
  range(start: Uint8Array, end: Uint8Array, limit: number, read: ReadLevel): Promise<RangePage>;
  /**
   * The store's current revision (etcd) or applied index (raftkv), read
   * linearizably. Each Put moves it by one on a quiet store, so the
   * difference across an h2load run counts the writes the server applied.
   */
  revision(): Promise<number>;
  close(): void;
}
