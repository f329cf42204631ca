import { Code, ConnectError } from "@connectrpc/connect";
import type { KvStoreView } from "../../fsm/kv-store-view.ts";
import { quotaRefusalMessage } from "../../fsm/quota-rules.ts";

/**
 * Refuses a write that grows the store while the replicated quota alarm is
 * up, before it is proposed, naming the quota and this node's current size.
 * The state machine refuses such entries too (at apply, identically on every
 * member); this only spares the log the entries it would refuse.
 */
export function refuseIfOverQuota(state: Pick<KvStoreView, "quotaAlarm" | "dbSpace">): void {
  const alarm = state.quotaAlarm();
  if (!alarm.active) return;
  throw new ConnectError(quotaRefusalMessage(alarm, state.dbSpace().sizeBytes), Code.ResourceExhausted);
}
