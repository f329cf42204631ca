// Authorization's public surface: the authorizer, the guard that wraps a service with it, and how a forwarded caller is named.

export { guardService } from "./authorization-guard.ts";
export { Authorizer, FORWARDED_IDENTITY_HEADER, principalKey } from "./authorizer.ts";
