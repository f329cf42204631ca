// Authorization's public surface: the authorizer, the guard that wraps a service with it, and how a forwarded caller is named.
export { Authorizer } from "./authorizer.ts";
export { guardService } from "./authorization-guard.ts";
export { FORWARDED_IDENTITY_HEADER, principalKey } from "./authorizer.ts";
