import type { DbSpace } from "./db-space.ts";
import type { LeaseRecord, QuotaAlarm, RangeQuery, RangeResult, StoredKv } from "./kv-types.ts";

/**
 * The applied key-value state as the services read it. KvStateMachine
 * implements it; applying entries, restoring snapshots and closing the
 * database stay with the engine and the node, so a service cannot change
 * state except by proposing.
 */
export interface KvStoreView {
  appliedIndex(): number;
  get(key: Uint8Array): StoredKv | undefined;
  range(query: RangeQuery): RangeResult;
  compactIndex(): number;
  lease(id: number): LeaseRecord | undefined;
  leases(): LeaseRecord[];
  leaseCount(): number;
  leaseKeys(id: number): Uint8Array[];
  quotaAlarm(): QuotaAlarm;
  dbSpace(): DbSpace;
}
