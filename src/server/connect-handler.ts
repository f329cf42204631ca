import { createContextValues, type ConnectRouter, type Interceptor, type ServiceImplSpec } from "@connectrpc/connect";
import { clientConnectionKey } from "../service/client-connection.ts";
import { requestConnection } from "./request-connection.ts";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { answerUnrouted } from "./fallback-handler.ts";
import type { NodeHandler } from "./http-request-handler.ts";
import { toPublicError } from "./public-error.ts";
import type { ServerLogger } from "./server-logger.ts";

export interface ConnectHandlerOptions {
  readonly maxRequestBytes: number;
  readonly maxTimeoutMs: number;
  readonly shutdownSignal: AbortSignal;
  readonly logger: ServerLogger;
}

/**
 * The one Connect handler set: gRPC, gRPC-Web and Connect (JSON and binary)
 * for every registered method, on node:http and node:http2 requests alike.
 * Paths it does not know go to `answerUnrouted` (health, 404, UNIMPLEMENTED).
 */
export function createConnectHandler(specs: readonly ServiceImplSpec[], options: ConnectHandlerOptions): NodeHandler {
  const handler = connectNodeAdapter({
    routes: (router) => registerAll(router, specs),
    readMaxBytes: options.maxRequestBytes,
    maxTimeoutMs: options.maxTimeoutMs,
    shutdownSignal: options.shutdownSignal,
    interceptors: [logInternalErrors(options.logger)],
    fallback: answerUnrouted,
    // Which connection a call came on, for per-connection limits (open watches).
    contextValues: (req) => createContextValues().set(clientConnectionKey, requestConnection(req)),
  });
  // Connect types the response narrower than node's own classes; node:http
  // and node:http2 responses are exactly what it handles at run time.
  return handler as NodeHandler;
}

function registerAll(router: ConnectRouter, specs: readonly ServiceImplSpec[]): void {
  for (const spec of specs) {
    for (const methodSpec of Object.values(spec.methods)) {
      // Each case narrows the method/impl pair so router.rpc can check it.
      switch (methodSpec.kind) {
        case "unary":
          router.rpc(methodSpec.method, methodSpec.impl);
          break;
        case "server_streaming":
          router.rpc(methodSpec.method, methodSpec.impl);
          break;
        case "client_streaming":
          router.rpc(methodSpec.method, methodSpec.impl);
          break;
        case "bidi_streaming":
          router.rpc(methodSpec.method, methodSpec.impl);
          break;
        default: {
          const unreachable: never = methodSpec;
          throw new Error(`unknown method kind in ${JSON.stringify(unreachable)}`);
        }
      }
    }
  }
}

/**
 * Connect already answers a non-ConnectError with INTERNAL "internal error";
 * this gives the operator the real error in the log (the fast path does the
 * same through toPublicError), so both paths fail alike.
 */
function logInternalErrors(logger: ServerLogger): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (reason) {
      throw toPublicError(reason, request.url, logger);
    }
  };
}
