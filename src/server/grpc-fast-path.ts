import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import type { FastPathHandlerContext } from "./fast-path-handler-context.ts";
import { GrpcUnaryCall, type GrpcUnaryCallLimits } from "./grpc-unary-call.ts";
import type { UnaryMethodEntry } from "./unary-method-table.ts";

/** Only the binary gRPC codec; gRPC+JSON and everything else go to Connect. */
const grpcProtoContentType = /^application\/grpc(?:\+proto)?$/i;

/**
 * Decides, from the request headers alone, whether an HTTP/2 stream is a
 * uncompressed unary gRPC call to a registered method, and if so serves it
 * without Connect's per-call machinery. Anything else is left untouched for
 * the Connect handler, so both never handle the same stream.
 */
export class GrpcFastPath {
  /** Calls whose handler may still run; shutdown aborts them all at once. */
  private readonly activeCalls = new Set<FastPathHandlerContext>();

  constructor(
    private readonly methods: ReadonlyMap<string, UnaryMethodEntry>,
    private readonly limits: GrpcUnaryCallLimits,
  ) {}

  /** Aborts every running call with `reason` (its client gets that status). */
  abortAll(reason: ConnectError): void {
    for (const context of [...this.activeCalls]) context.abort(reason);
  }

  /** Returns true when it took the stream; false means the stream is untouched. */
  tryServe(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean {
    if (headers[":method"] !== "POST") return false;
    const contentType = headers["content-type"];
    if (contentType === undefined || !grpcProtoContentType.test(contentType)) return false;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    const path = headers[":path"];
    if (path === undefined) return false;
    const entry = this.methods.get(path);
    if (entry === undefined) return false;
    new GrpcUnaryCall(stream, headers, entry, this.limits, this.activeCalls).start();
    return true;
  }
}
