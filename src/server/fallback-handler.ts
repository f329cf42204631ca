import type { IncomingHttpHeaders } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { setGrpcStatus } from "./grpc-trailer-status.ts";
import { pathOf } from "./request-path.ts";

/** The parts of a node:http or node:http2 request this handler reads. */
export interface UnroutedRequest {
  readonly url?: string;
  readonly method?: string;
  readonly headers: IncomingHttpHeaders;
  resume(): unknown;
}

/** The parts of a node:http or node:http2 response this handler writes. */
export interface UnroutedResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  /** Without a body: on HTTP/2 the stream ends with the HEADERS frame (trailers-only gRPC). */
  end(): unknown;
  end(body: string): unknown;
}

const grpcWebContentType = /^application\/grpc-web/i;
const grpcContentType = /^application\/grpc/i;

/**
 * Answers what no route and no RPC claimed: `GET /healthz` (so health works
 * before any REST routes are wired), UNIMPLEMENTED for gRPC and gRPC-Web
 * calls to unknown methods (a gRPC client expects a status, not a 404), and
 * 404 for everything else.
 */
export function answerUnrouted(req: UnroutedRequest, res: UnroutedResponse): void {
  const path = pathOf(req);
  // Unread request bodies would stall HTTP/1.1 keep-alive and HTTP/2 flow control.
  req.resume();
  if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
    res.statusCode = 200;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.setHeader("cache-control", "no-store");
    res.end(req.method === "HEAD" ? "" : "ok\n");
    return;
  }
  const contentType = req.headers["content-type"] ?? "";
  if (grpcContentType.test(contentType)) {
    // A trailers-only answer: status in the headers, no body.
    res.statusCode = 200;
    res.setHeader("content-type", grpcWebContentType.test(contentType) ? "application/grpc-web+proto" : "application/grpc");
    const status = setGrpcStatus(new Headers(), new ConnectError(`unknown method ${path}`, Code.Unimplemented));
    status.forEach((value, name) => {
      res.setHeader(name, value);
    });
    res.end();
    return;
  }
  res.statusCode = 404;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(`not found: ${req.method ?? "?"} ${path}\n`);
}
