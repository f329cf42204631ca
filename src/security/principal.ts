import type { KeyPermissions } from "./key-permissions.ts";

/**
 * Who a call is made by, once authenticated: a token's name, or the name a
 * verified client certificate stands for. `via` says how it was proven (for
 * messages and for forwarding: a token is passed on, a certificate identity
 * is vouched for by the forwarding member).
 */
export interface Principal {
  readonly name: string;
  readonly via: "token" | "certificate";
  readonly permissions: KeyPermissions;
}
