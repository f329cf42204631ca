import type { DescMessage, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import type { MethodImplSpec, ServiceImplSpec } from "@connectrpc/connect";

/** A unary method the gRPC fast path may serve, keyed by its request path. */
export interface UnaryMethodEntry {
  readonly service: DescService;
  readonly method: DescMethodUnary<DescMessage, DescMessage>;
  readonly impl: Extract<MethodImplSpec, { kind: "unary" }>["impl"];
}

/**
 * Maps "/package.Service/Method" to the unary implementation registered for
 * it. Streaming methods are left out on purpose: they always go to Connect.
 */
export function buildUnaryMethodTable(specs: readonly ServiceImplSpec[]): ReadonlyMap<string, UnaryMethodEntry> {
  const table = new Map<string, UnaryMethodEntry>();
  for (const { service, methods } of specs) {
    for (const methodSpec of Object.values(methods)) {
      if (methodSpec.kind !== "unary") continue;
      const path = `/${service.typeName}/${methodSpec.method.name}`;
      table.set(path, { service, method: methodSpec.method, impl: methodSpec.impl });
    }
  }
  return table;
}
