// The Lease service's public surface: the service, the leader's expiry keeper, and the lease id check Put and Txn share.
export { createLeaseService } from "./lease-service.ts";
export { LeaseKeeper } from "./lease-keeper.ts";
export { validateLeaseId } from "./lease-validation.ts";
