import type { DescService } from "@bufbuild/protobuf";
import { createServiceImplSpec, type HandlerContext, type ServiceImpl, type ServiceImplSpec } from "@connectrpc/connect";

/**
 * Any method implementation, with its request type erased: `never` accepts
 * every typed UnaryImpl/streaming impl, so a `ServiceImpl<typeof KV>` fits.
 */
type ErasedMethodImpl = (request: never, context: HandlerContext) => unknown;

/**
 * One service implementation, served by the Connect router (every protocol)
 * and by the unary gRPC fast path alike. `{ service: KV, impl: kv }` works as
 * is; `registerService(KV, kv)` also checks impl against the service's types.
 */
export interface ServiceRegistration {
  readonly service: DescService;
  readonly impl: { readonly [localName: string]: ErasedMethodImpl | undefined };
}

export function registerService<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): ServiceRegistration {
  return { service, impl };
}

/**
 * Binds the implementation's methods and fills unimplemented ones, after
 * checking that it names no method the service lacks (a typo would otherwise
 * leave the real method answering UNIMPLEMENTED without a word).
 */
export function implSpecOf({ service, impl }: ServiceRegistration): ServiceImplSpec {
  const known = new Set(service.methods.map((method) => method.localName));
  for (const name of Object.keys(impl)) {
    if (!known.has(name) && typeof impl[name] === "function") {
      throw new Error(`implementation for ${service.typeName} has method "${name}", which the service does not define (known: ${[...known].join(", ")})`);
    }
  }
  // The service/impl pairing is the caller's promise (registerService checks
  // it at compile time); createServiceImplSpec looks methods up by localName.
  return createServiceImplSpec(service, impl as Partial<ServiceImpl<DescService>>);
}
