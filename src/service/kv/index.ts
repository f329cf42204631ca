// The KV service's public surface: the service itself, and the compare-and-swap form REST's PUT uses.
export { createKvService } from "./kv-service.ts";
export { casPutRequest, parseCasIndex } from "./txn-cas.ts";
