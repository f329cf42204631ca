// The Lease service's public surface: the service, the leader's expiry keeper, and the lease id check Put and Txn share.

export { LeaseKeeper } from "./lease-keeper.ts";
export { createLeaseService } from "./lease-service.ts";
export { validateLeaseId } from "./lease-validation.ts";
