import type { ServiceImpl } from "@connectrpc/connect";
import type { KV } from "../gen/raftkv/v1/kv_pb.ts";
import type { ServiceRegistration } from "../server/service-registration.ts";
import type { NodeSecurity } from "../security/node-security.ts";
import { guardService } from "../service/authorization-guard.ts";
import { Authorizer } from "../service/authorizer.ts";

/**
 * The node's services with authorization in front of every method when
 * `--auth-token-file` is set (and untouched otherwise: no cost without auth),
 * plus the KV implementation REST must call, guarded the same way.
 */
export function securedServices(
  registrations: readonly ServiceRegistration[],
  kv: ServiceImpl<typeof KV>,
  security: NodeSecurity,
  memberIds: () => readonly string[],
): { readonly services: ServiceRegistration[]; readonly kv: ServiceImpl<typeof KV> } {
  const tokens = security.tokens;
  if (tokens === undefined) return { services: [...registrations], kv };
  const authorizer = new Authorizer({
    tokens,
    clientCertAuth: security.clientCertAuth,
    peerCaCertificates: () => security.peerCaCertificates(),
    speaksFor: (identity, memberId) => security.peerAllowedNames.allows(identity, memberId),
    memberIds,
  });
  const services = registrations.map((registration) => guardService(registration, authorizer));
  const guardedKv = services.find((registration) => registration.service.typeName === "raftkv.v1.KV");
  if (guardedKv === undefined) throw new Error("secured services: no KV service to guard for REST");
  // The guard keeps each method's signature; only its type was erased by the registration.
  return { services, kv: guardedKv.impl as unknown as ServiceImpl<typeof KV> };
}
