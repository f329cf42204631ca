import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Refuses a lease grant once the cluster holds `maxLeases`: each lease is a
 * row on every replica and a timer on the leader. Checked against this
 * node's applied state before proposing, so grants in flight at the same
 * moment may pass the limit by as many (a bound, not an exact count: the
 * state machine itself never refuses on it, since the flag may differ
 * between members and every replica must apply alike).
 */
export function checkLeaseCount(leases: number, maxLeases: number): void {
  if (leases < maxLeases) return;
  throw new ConnectError(
    `lease: the cluster holds ${leases} leases, the limit is ${maxLeases} (--max-leases); revoke leases no longer used, or let them expire`,
    Code.ResourceExhausted,
  );
}
