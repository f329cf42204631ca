import http2 from "node:http2";
import type { ClientConnectionRejection } from "./client-connection-counts.ts";
import type { ClientConnectionLimits } from "./client-connection-limits.ts";
import type { ConnectionTracker } from "./connection-tracker.ts";
import type { GrpcFastPath } from "./grpc-fast-path.ts";
import type { NodeHandler } from "./http-request-handler.ts";
import { Http2SessionClock } from "./http2-session-clock.ts";
import { paceWrites } from "./http2-write-pacer.ts";
import type { ServerLogger } from "./server-logger.ts";

/**
 * An h2c server whose every stream goes first to the gRPC fast path and,
 * when it declines, to the shared request handler through node's
 * compatibility request/response objects.
 *
 * No 'request' listener on purpose: adding one makes node:http2 install its
 * own 'stream' listener, and every stream would be handled twice. Building
 * the compat objects here, only for the streams the fast path leaves, keeps
 * one owner per stream.
 *
 * SETTINGS advertise the stream limit (the client queues calls past it; a
 * stream opened anyway is refused), and each session keeps its idle and
 * body deadlines (Http2SessionClock).
 */
export function createHttp2Server(
  fastPath: GrpcFastPath,
  handleRequest: NodeHandler,
  tracker: ConnectionTracker,
  logger: ServerLogger,
  limits: ClientConnectionLimits,
  cut: (reason: ClientConnectionRejection) => void,
): http2.Http2Server {
  const server = http2.createServer({ settings: { maxConcurrentStreams: limits.maxConcurrentStreams } });
  const clocks = new WeakMap<http2.Http2Session, Http2SessionClock>();
  server.on("stream", (stream: http2.ServerHttp2Stream, headers, flags, rawHeaders) => {
    tracker.beginCall(stream);
    clocks.get(stream.session as http2.Http2Session)?.onStream(stream, flags);
    // Every answer, whichever path writes it, goes through the pacing that works around Bun's large-write bug.
    paceWrites(stream);
    try {
      // A request with an Origin comes from a browser (which never speaks h2c gRPC): the CORS policy sees it first.
      if (headers.origin === undefined && fastPath.tryServe(stream, headers)) return;
      const req = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
      const res = new http2.Http2ServerResponse(stream);
      handleRequest(req, res);
    } catch (error) {
      // Nothing here should throw; if it does, lose the stream, not the process.
      logger.error("http2 stream handler failed", { path: headers[":path"], error: String(error) });
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  });
  server.on("session", (session) => {
    tracker.addSession(session);
    const clock = new Http2SessionClock(session, limits, cut);
    clocks.set(session, clock);
    clock.start();
  });
  server.on("sessionError", (error) => logger.warn("http2 session error", { error: String(error) }));
  return server;
}
