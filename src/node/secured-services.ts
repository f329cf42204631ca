import type { ServiceImpl } from "@connectrpc/connect";
import { KV } from "../gen/raftkv/v1/kv_pb.ts";
import type { NodeSecurity } from "../security/node-security.ts";
import type { ServiceRegistration } from "../server/service-registration.ts";
import { Authorizer, guardService } from "../service/auth/index.ts";

/** Puts the node's services (and the KV implementation REST calls) behind authorization. */
export interface ServiceGuard {
  all(registrations: readonly ServiceRegistration[]): ServiceRegistration[];
  kv(impl: ServiceImpl<typeof KV>): ServiceImpl<typeof KV>;
}

/**
 * With `--auth-token-file`, every method behind one Authorizer; without it
 * the services are served as they are (no cost when auth is off).
 */
export function serviceGuard(security: NodeSecurity, memberIds: () => readonly string[]): ServiceGuard {
  const tokens = security.tokens;
  if (tokens === undefined) return { all: (registrations) => [...registrations], kv: (impl) => impl };
  const authorizer = new Authorizer({
    tokens,
    clientCertAuth: security.clientCertAuth,
    peerCaCertificates: () => security.peerCaCertificates(),
    speaksFor: (identity, memberId) => security.peerAllowedNames.allows(identity, memberId),
    memberIds,
  });
  return {
    all: (registrations) => registrations.map((registration) => guardService(registration, authorizer)),
    // The guard keeps each method's signature; only the registration's type erased it.
    kv: (impl) => guardService({ service: KV, impl }, authorizer).impl as unknown as ServiceImpl<typeof KV>,
  };
}
