import type { HandlerContext } from "@connectrpc/connect";
import type { ServiceRegistration } from "../../server/service-registration.ts";
import { accessRuleOf } from "./access-rules.ts";
import type { Authorizer } from "./authorizer.ts";

type MethodImpl = (request: never, context: HandlerContext) => unknown;

/**
 * The service with every method behind `authorizer`: the check runs before
 * the handler (before validation, proposal or forwarding), on whichever path
 * the call came (Connect, the gRPC fast path, REST), so no handler carries
 * checks of its own. A unary call is refused with the error as its answer; a
 * server stream ends with it before its first message.
 */
export function guardService(registration: ServiceRegistration, authorizer: Authorizer): ServiceRegistration {
  const service = registration.service.typeName;
  const impl: Record<string, MethodImpl> = {};
  for (const method of registration.service.methods) {
    const original = registration.impl[method.localName];
    if (original === undefined) continue;
    const name = method.name;
    const rule = accessRuleOf(service, name);
    switch (method.methodKind) {
      case "unary":
        impl[method.localName] = (request: never, context: HandlerContext) => {
          authorizer.authorizeWith(rule, name, request, context);
          return original(request, context);
        };
        break;
      case "server_streaming":
        impl[method.localName] = async function* (request: never, context: HandlerContext) {
          authorizer.authorizeWith(rule, name, request, context);
          // The implementation returns the stream's messages as an async iterable.
          yield* original(request, context) as AsyncIterable<unknown>;
        };
        break;
      case "client_streaming":
      case "bidi_streaming":
        // The requests are a stream: only who calls can be checked up front (no such method needs more today).
        impl[method.localName] = (requests: never, context: HandlerContext) => {
          authorizer.authorizeWith(rule, name, undefined, context);
          return original(requests, context);
        };
        break;
      default: {
        const unreachable: never = method.methodKind;
        throw new Error(`unknown method kind ${String(unreachable)} of ${service}/${name}`);
      }
    }
  }
  return { service: registration.service, impl };
}
