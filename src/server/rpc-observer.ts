/** The wire protocol a call came in on. */
export type RpcProtocol = "grpc" | "grpc-web" | "connect" | "rest";

/** One finished call (a stream: when it ended). */
export interface RpcCall {
  /** "raftkv.v1.KV" */
  readonly service: string;
  /** "Put" */
  readonly method: string;
  readonly protocol: RpcProtocol;
  /** Connect's code name: "ok", "unavailable", "resource_exhausted", ... */
  readonly code: string;
  readonly seconds: number;
}

/**
 * Told of every call the client port served, whichever path served it
 * (Connect, the unary gRPC fast path, REST). Called on the event loop for
 * every request: an implementation must be a few counter increments.
 */
export interface RpcObserver {
  rpcDone(call: RpcCall): void;
}

/** The protocol Connect serves a request with, from its content type (Connect's own rule). */
export function protocolOfContentType(contentType: string | null): RpcProtocol {
  if (contentType === null) return "connect";
  const lower = contentType.toLowerCase();
  if (lower.startsWith("application/grpc-web")) return "grpc-web";
  if (lower.startsWith("application/grpc")) return "grpc";
  return "connect";
}
