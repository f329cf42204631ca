import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Socket } from "node:net";
import type { ConnectionTracker } from "./connection-tracker.ts";
import type { CorsPolicy } from "./cors-policy.ts";
import type { HostPolicy } from "./host-policy.ts";
import { pathOf } from "./request-path.ts";
import type { ServerLogger } from "./server-logger.ts";

export type HttpRequest = IncomingMessage | Http2ServerRequest;
export type HttpResponse = ServerResponse | Http2ServerResponse;
/** Returns true when it answered the request. */
export type HttpRoutes = (req: HttpRequest, res: HttpResponse) => boolean;
export type NodeHandler = (req: HttpRequest, res: HttpResponse) => void;

export interface HttpRequestHandlerParts {
  /** Connect's node adapter: every RPC protocol for every registered method. */
  readonly connect: NodeHandler;
  /** Request paths Connect serves, e.g. "/raftkv.v1.KV/Put". */
  readonly rpcPaths: ReadonlySet<string>;
  readonly httpRoutes: HttpRoutes | undefined;
  readonly maxRequestBytes: number;
  readonly tracker: ConnectionTracker;
  readonly logger: ServerLogger;
  /** Cross-origin access (`--cors-allowed-origins`); undefined: no check (servers built without a node). */
  readonly cors?: CorsPolicy;
  /** The Host names answered on HTTP/1.1 (`--allowed-hosts`); given only for a cleartext port. */
  readonly hosts?: HostPolicy;
}

/** gRPC and gRPC-Web (any codec); these never go to the plain HTTP routes. */
const grpcContentType = /^application\/grpc(?:-web)?(?:[+;]|$)/i;

/**
 * The handler for every request that the gRPC fast path did not take, on
 * HTTP/1.1 and HTTP/2 alike: plain HTTP routes (REST, health) first, unless
 * the request is gRPC or aims at an RPC path; then Connect, whose fallback
 * answers unknown paths.
 */
export function createHttpRequestHandler(parts: HttpRequestHandlerParts): NodeHandler {
  return (req, res) => {
    // HTTP/2 streams are counted where they arrive, before the fast path.
    const http1Socket = req.httpVersionMajor === 1 ? (req.socket as Socket) : undefined;
    if (http1Socket !== undefined) {
      parts.tracker.beginCall(res, http1Socket);
      if (parts.tracker.isDraining) res.setHeader("connection", "close");
    }
    // Before anything else: a request for a name this node does not answer for (DNS rebinding), or from an
    // origin that is not allowed (CSRF), reaches no route and no RPC.
    if (http1Socket !== undefined && parts.hosts?.refuseMisdirected(req, res) === true) return;
    if (parts.cors?.handle(req, res) === true) return;
    const path = pathOf(req);
    const declaredBytes = Number(req.headers["content-length"] ?? 0);
    if (parts.rpcPaths.has(path) || grpcContentType.test(req.headers["content-type"] ?? "")) {
      // Connect refuses a declared length over the limit at once, but on a keep-alive HTTP/1.1 connection
      // it first reads the body it refused (up to 256 KiB) before it answers: a client that waits for the
      // answer before sending would wait for ever. Not keeping the connection skips that read.
      if (declaredBytes > parts.maxRequestBytes && "shouldKeepAlive" in res) res.shouldKeepAlive = false;
      parts.connect(req, res);
      return;
    }
    if (declaredBytes > parts.maxRequestBytes) {
      res.statusCode = 413;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      if (http1Socket !== undefined) res.setHeader("connection", "close");
      res.end(`request body of ${declaredBytes} bytes exceeds the limit of ${parts.maxRequestBytes} bytes (maxRequestBytes)\n`);
      return;
    }
    if (routeSafely(parts, req, res)) return;
    parts.connect(req, res);
  };
}

/** A throwing route must cost one request a 500, never the process. */
function routeSafely(parts: HttpRequestHandlerParts, req: HttpRequest, res: HttpResponse): boolean {
  try {
    return parts.httpRoutes?.(req, res) === true;
  } catch (error) {
    parts.logger.error("http route failed", { path: pathOf(req), error: String(error) });
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end("internal error\n");
    } else {
      res.destroy();
    }
    return true;
  }
}
