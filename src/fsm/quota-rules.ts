import type { Command } from "../gen/raftkv/v1/command_pb.ts";
import type { TxnRequest } from "../gen/raftkv/v1/kv_pb.ts";
import { formatBytes } from "../units/byte-size.ts";
import type { QuotaAlarm } from "./kv-types.ts";

/**
 * Whether a command can grow the store, and so is refused while the quota
 * alarm is active (etcd's rule: a Txn counts if either branch puts). Deletes,
 * Compact, lease revokes, alarms and membership never are: they are how an
 * operator gets back under the quota.
 */
export function growsStore(op: Command["op"]): boolean {
  switch (op.case) {
    case "put":
    case "leaseGrant":
      return true;
    case "txn":
      return txnPuts(op.value);
    case "delete":
    case "leaseRevoke":
    case "compact":
    case "alarm":
    case undefined:
      return false;
    default: {
      const unreachable: never = op;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

export function txnPuts(txn: TxnRequest): boolean {
  return [...txn.success, ...txn.failure].some((op) => op.op.case === "put");
}

/** The refusal every member gives, naming the quota and the size that raised the alarm. */
export function quotaRefusalMessage(alarm: QuotaAlarm, currentBytes?: number): string {
  const size = currentBytes ?? alarm.usedBytes;
  return (
    `database space exceeded: the quota is ${formatBytes(alarm.quotaBytes)} (${alarm.quotaBytes} bytes) and the database ` +
    `is ${formatBytes(size)} (${size} bytes)${currentBytes === undefined ? ` as measured by ${alarm.memberId} at index ${alarm.index}` : ""}; ` +
    "reads, deletes, compact and lease revokes still work: delete keys and compact the history (raftkv compact), " +
    "and writes are accepted again once the space is reclaimed"
  );
}
