import { Code, ConnectError } from "@connectrpc/connect";
import type { RefusalCode } from "../../fsm/kv-types.ts";

/**
 * The client's error for a command the state machine refused on every
 * member: over the quota is RESOURCE_EXHAUSTED (as etcd's "database space
 * exceeded"); every other refusal is a failed precondition.
 */
export function applyRefusalError(result: { readonly message: string; readonly code?: RefusalCode }): ConnectError {
  return new ConnectError(result.message, result.code === "quota" ? Code.ResourceExhausted : Code.FailedPrecondition);
}
