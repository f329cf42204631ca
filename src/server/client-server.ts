import http from "node:http";
import type { Socket } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { RateLimitedLog } from "../log/rate-limited-log.ts";
import { ClientConnectionCounts, type ClientConnectionRejection } from "./client-connection-counts.ts";
import { type ClientConnectionLimits, checkClientConnectionLimits, defaultClientConnectionLimits } from "./client-connection-limits.ts";
import { ClientListener } from "./client-listener.ts";
import { createConnectHandler } from "./connect-handler.ts";
import { ConnectionTracker } from "./connection-tracker.ts";
import { CorsPolicy } from "./cors-policy.ts";
import { GrpcFastPath } from "./grpc-fast-path.ts";
import { HostPolicy } from "./host-policy.ts";
import { createHttpRequestHandler, type HttpRoutes } from "./http-request-handler.ts";
import { Http1ConnectionClock } from "./http1-connection-clock.ts";
import { createHttp2Server } from "./http2-stream-handler.ts";
import { sniffProtocol, type WireProtocol } from "./protocol-sniffer.ts";
import type { RpcObserver } from "./rpc-observer.ts";
import { type ServerLogger, silentLogger } from "./server-logger.ts";
import type { ServerTls } from "./server-tls.ts";
import { implSpecOf, type ServiceRegistration } from "./service-registration.ts";
import { acceptTls } from "./tls-acceptor.ts";
import { buildUnaryMethodTable } from "./unary-method-table.ts";

export { ClientConnectionCounts, type ClientConnectionRejection } from "./client-connection-counts.ts";
export { type ClientConnectionLimits, defaultClientConnectionLimits } from "./client-connection-limits.ts";
export { ClientListener } from "./client-listener.ts";
export { clientSocketKey } from "./client-socket.ts";
export type { HttpRequest, HttpResponse, HttpRoutes } from "./http-request-handler.ts";
export type { RpcCall, RpcObserver, RpcProtocol } from "./rpc-observer.ts";
export type { ServerLogger } from "./server-logger.ts";
export type { ServerTls, ServerTlsConnectionOptions } from "./server-tls.ts";
export { registerService, type ServiceRegistration } from "./service-registration.ts";
export { type ServingPath, servingPathKey } from "./serving-path.ts";

export const defaultMaxRequestBytes = 2 * 1024 * 1024;
const defaultGraceMs = 5_000;
/** Longest grpc-timeout / connect-timeout-ms a client may ask for: one day. */
const maxTimeoutMs = 24 * 60 * 60 * 1000;

/**
 * Where to serve: host and port to bind (0 picks a free port; read it back
 * from `ClientServer.port`), or a listener the caller bound earlier, which the
 * server owns from then on.
 */
export type ClientServerOptions = ClientServerSettings & ({ readonly host: string; readonly port: number } | { readonly listener: ClientListener });

export interface ClientServerSettings {
  /** Served by Connect (every protocol) and by the unary gRPC fast path. */
  readonly services: readonly ServiceRegistration[];
  /** Largest request message (RPC) or body (plain HTTP) accepted; default 2 MiB. */
  readonly maxRequestBytes?: number;
  /**
   * Plain HTTP routes (REST, health, metrics), asked before Connect for every
   * request that is neither gRPC/gRPC-Web nor aimed at an RPC path, on
   * HTTP/1.1 and HTTP/2. Returns true when it answered.
   */
  readonly httpRoutes?: HttpRoutes;
  readonly logger?: ServerLogger;
  /** Told of every RPC's outcome and duration, on Connect's path and the fast path alike (metrics). */
  readonly rpcObserver?: RpcObserver;
  /**
   * TLS on this port: every connection must complete a handshake; ALPN picks
   * HTTP/2 or HTTP/1.1. Absent: cleartext, HTTP/2 told from HTTP/1.1 by the preface.
   */
  readonly tls?: ServerTls;
  /** Cross-origin access for web pages on other origins; undefined: no origin but the node's own. */
  readonly cors?: CorsPolicy;
  /** Host names answered on cleartext HTTP/1.1 (DNS rebinding); undefined: IP literals and localhost only. */
  readonly hosts?: HostPolicy;
  /** Connection, stream and timeout bounds; each one absent takes its default (defaultClientConnectionLimits). */
  readonly connectionLimits?: Partial<ClientConnectionLimits>;
  /** Where open connections and cut ones are counted (metrics); absent: counted for nobody. */
  readonly connectionCounts?: ClientConnectionCounts;
}

/**
 * The client-facing port: one TCP listener whose connections are sniffed and
 * handed to an HTTP/2 (h2c) or HTTP/1.1 server. Both feed one Connect handler
 * set (gRPC, gRPC-Web, Connect JSON/binary); on HTTP/2, uncompressed unary
 * gRPC calls take a fast path that calls the same implementations directly.
 */
export class ClientServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly listener: ClientListener,
    private readonly tracker: ConnectionTracker,
    private readonly shutdown: AbortController,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(options: ClientServerOptions): Promise<ClientServer> {
    const logger = options.logger ?? silentLogger;
    const maxRequestBytes = options.maxRequestBytes ?? defaultMaxRequestBytes;
    if (!Number.isSafeInteger(maxRequestBytes) || maxRequestBytes < 1) {
      throw new Error(`maxRequestBytes must be a positive integer, got ${maxRequestBytes}`);
    }
    const limits = checkClientConnectionLimits({ ...defaultClientConnectionLimits, ...options.connectionLimits });
    const counts = options.connectionCounts ?? new ClientConnectionCounts();
    const shutdown = new AbortController();
    const tracker = new ConnectionTracker();
    const specs = options.services.map(implSpecOf);

    const connect = createConnectHandler(specs, {
      maxRequestBytes,
      maxTimeoutMs,
      shutdownSignal: shutdown.signal,
      logger,
      observer: options.rpcObserver,
    });
    const rpcPaths = new Set(options.services.flatMap(({ service }) => service.methods.map((m) => `/${service.typeName}/${m.name}`)));
    const handleRequest = createHttpRequestHandler({
      connect,
      rpcPaths,
      httpRoutes: options.httpRoutes,
      maxRequestBytes,
      tracker,
      logger,
      cors: options.cors ?? CorsPolicy.of([]),
      // Over TLS a rebound name fails the certificate check first (see HostPolicy).
      hosts: options.tls === undefined ? (options.hosts ?? HostPolicy.of([], [])) : undefined,
    });
    const fastPath = new GrpcFastPath(buildUnaryMethodTable(specs), { maxRequestBytes, maxTimeoutMs, logger, observer: options.rpcObserver });
    shutdown.signal.addEventListener("abort", () => {
      fastPath.abortAll(ConnectError.from(shutdown.signal.reason, Code.Unavailable));
    });

    const http1Server = http.createServer(handleRequest);
    // Bun only advertises this (Keep-Alive: timeout=N); Http1ConnectionClock enforces it.
    http1Server.keepAliveTimeout = limits.idleTimeoutMs;
    const http1Clocks = new WeakMap<Socket, Http1ConnectionClock>();
    // Prepended: the clock must see the request before a handler answers it.
    http1Server.prependListener("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      http1Clocks.get(req.socket)?.onRequest(req, res);
    });
    http1Server.on("clientError", (_error, socket) => {
      // Bad HTTP/1.1 input: answer 400 if the socket still can, never throw.
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      else socket.destroy();
    });

    // Anyone can cause these: a handful of lines per 10 s, not one per connection.
    const connectionWarnings = new RateLimitedLog(logger, 5, 10_000, () => performance.now());
    const cut = (reason: ClientConnectionRejection): void => {
      counts.reject(reason);
      connectionWarnings.warn(`cut:${reason}`, "closed a slow client connection or stream", { reason, ...timeoutOf(reason, limits) });
    };
    const http2Server = createHttp2Server(fastPath, handleRequest, tracker, logger, limits, cut);

    const route = (socket: Socket, protocol: WireProtocol): void => {
      switch (protocol) {
        case "h2":
          tracker.markHttp2(socket);
          http2Server.emit("connection", socket);
          return;
        case "http1": {
          const clock = new Http1ConnectionClock(socket, limits, cut);
          http1Clocks.set(socket, clock);
          clock.start();
          http1Server.emit("connection", socket);
          return;
        }
        default: {
          const unreachable: never = protocol;
          throw new Error(`unknown wire protocol ${String(unreachable)}`);
        }
      }
    };
    // Anyone can fail a handshake: a handful of lines per 10 s, not one per attempt.
    const handshakeWarnings = new RateLimitedLog(logger, 5, 10_000, () => performance.now());
    const tls = options.tls;
    const listener = "listener" in options ? options.listener : await ClientListener.bind(options.host, options.port);
    const firstBytesTimedOut = (): void => cut("first-bytes-timeout");
    const bounds = {
      maxConnections: limits.maxConnections,
      counts,
      refused: (remote: string) =>
        connectionWarnings.warn("refused:connection-limit", "refused a client connection: too many open", { remote, maxConnections: limits.maxConnections }),
    };
    const server = listener.serve((socket) => {
      tracker.addSocket(socket);
      socket.on("error", () => {
        // Resets and broken pipes are the client's business; 'close' follows.
      });
      if (tls === undefined) {
        sniffProtocol(socket, route, limits.headerTimeoutMs, firstBytesTimedOut);
        return;
      }
      acceptTls(
        socket,
        tls,
        (secured, protocol) => {
          // From here the encrypted socket is the connection: draining looks at it, not at the raw one.
          tracker.replaceSocket(socket, secured);
          route(secured, protocol);
        },
        (message, fields) => handshakeWarnings.warn("tls-handshake", message, fields),
        limits.headerTimeoutMs,
        // The acceptor logs its own line for a handshake that timed out.
        () => counts.reject("first-bytes-timeout"),
      );
    }, bounds);
    server.on("error", (error) => logger.error("client listener error", { error: String(error) }));
    return new ClientServer(listener, tracker, shutdown, listener.host, listener.port);
  }

  /**
   * Stops accepting connections, lets in-flight calls finish for up to
   * `graceMs`, then aborts the handlers still running and destroys every
   * remaining socket. Calling it again returns the same promise.
   */
  close(graceMs: number = defaultGraceMs): Promise<void> {
    this.closing ??= this.drain(graceMs);
    return this.closing;
  }

  private async drain(graceMs: number): Promise<void> {
    const listenerClosed = this.listener.close();
    this.tracker.startDraining();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.tracker.whenIdle(), graceOver]);
    clearTimeout(timer);
    this.shutdown.abort(new ConnectError("server is shutting down", Code.Unavailable));
    this.tracker.destroyAll();
    await listenerClosed;
  }
}

/** The flag an operator would raise when clients are cut for `reason`, for the log line. */
function timeoutOf(reason: ClientConnectionRejection, limits: ClientConnectionLimits): Readonly<Record<string, number>> {
  switch (reason) {
    case "connection-limit":
      return { maxConnections: limits.maxConnections };
    case "first-bytes-timeout":
    case "header-timeout":
      return { headerTimeoutMs: limits.headerTimeoutMs };
    case "body-timeout":
      return { bodyTimeoutMs: limits.bodyTimeoutMs };
    default: {
      const unreachable: never = reason;
      throw new Error(`unknown connection rejection ${String(unreachable)}`);
    }
  }
}
