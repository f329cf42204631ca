import { ConnectError, type ConnectRouter, createContextValues, type Interceptor, type ServiceImplSpec } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { clientConnectionKey } from "../service/client-connection.ts";
import { clientSocketKey } from "./client-socket.ts";
import { codeName } from "./connect-code-names.ts";
import { answerUnrouted } from "./fallback-handler.ts";
import type { NodeHandler } from "./http-request-handler.ts";
import { toPublicError } from "./public-error.ts";
import { requestConnection } from "./request-connection.ts";
import { protocolOfContentType, type RpcObserver } from "./rpc-observer.ts";
import type { ServerLogger } from "./server-logger.ts";

export interface ConnectHandlerOptions {
  readonly maxRequestBytes: number;
  readonly maxTimeoutMs: number;
  readonly shutdownSignal: AbortSignal;
  readonly logger: ServerLogger;
  /** Told of every call's outcome and duration (metrics). */
  readonly observer?: RpcObserver;
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
    // The first interceptor is the outermost: it sees the error the client gets.
    interceptors: [...(options.observer === undefined ? [] : [observeCalls(options.observer)]), logInternalErrors(options.logger)],
    fallback: answerUnrouted,
    // For HTTP/2 the socket is the session's: what its TLS handshake proved applies to every stream.
    // The connection is for per-connection limits (open watches).
    contextValues: (req) => createContextValues().set(clientSocketKey, req.socket).set(clientConnectionKey, requestConnection(req)),
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

/** Reports each call once it is answered (a stream once it ended), with Connect's code name. */
function observeCalls(observer: RpcObserver): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const protocol = protocolOfContentType(request.header.get("content-type"));
    const done = (code: string): void => {
      observer.rpcDone({ service: request.service.typeName, method: request.method.name, protocol, code, seconds: (performance.now() - started) / 1000 });
    };
    try {
      const response = await next(request);
      if (!response.stream) {
        done("ok");
        return response;
      }
      return { ...response, message: observeStream(response.message, done) };
    } catch (reason) {
      done(codeName(ConnectError.from(reason).code));
      throw reason;
    }
  };
}

async function* observeStream<T>(messages: AsyncIterable<T>, done: (code: string) => void): AsyncGenerator<T> {
  let code = "canceled";
  try {
    yield* messages;
    code = "ok";
  } catch (reason) {
    code = codeName(ConnectError.from(reason).code);
    throw reason;
  } finally {
    // A stream the client abandoned ends here through return(): counted as canceled.
    done(code);
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
