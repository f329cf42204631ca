import type { RegisterOp } from "./register-workload.ts";
import { RegisterWorkload } from "./register-workload.ts";

/**
 * How much of a run was needed to see a violation: about the earliest time
 * t (to `resolutionMs`, after `from`) such that the operations invoked
 * before t already fail the check. Writes invoked later are kept when an
 * included read returned their value (a slow read may legally see a write
 * invoked after it began). Binary search, taking "illegal" as monotone in t
 * (a longer prefix of a broken history stays broken), so a long soak costs
 * a dozen checks. A measurement for reports, not a verdict; undefined when
 * even the whole history passes within the check budget.
 */
export function firstIllegalPrefix(ops: readonly RegisterOp[], from: number, resolutionMs: number, checkTimeoutMs: number): number | undefined {
  const illegalBefore = (t: number): boolean => {
    const seen = new Set<string>();
    for (const op of ops) if (op.call < t && op.output?.kind === "read" && op.output.value !== null) seen.add(op.output.value);
    const prefix = ops.filter((op) => op.call < t || (op.input.kind === "write" && seen.has(op.input.value)));
    return RegisterWorkload.check(prefix, checkTimeoutMs).result.kind === "illegal";
  };
  let hi = ops.reduce((latest, op) => Math.max(latest, op.call), from) + 1;
  if (!illegalBefore(hi)) return undefined;
  let lo = from;
  while (hi - lo > resolutionMs) {
    const mid = (lo + hi) / 2;
    if (illegalBefore(mid)) hi = mid;
    else lo = mid;
  }
  return hi - from;
}
