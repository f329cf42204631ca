import net from "node:net";
import { ClientConnectionCounts } from "./client-connection-counts.ts";
import { defaultClientConnectionLimits } from "./client-connection-limits.ts";

/** How the served listener bounds its connections. */
export interface ClientListenerBounds {
  /** Connections open at once (waiting ones included); one past it is closed at accept. */
  readonly maxConnections: number;
  /** Where open connections and refusals are counted (metrics). */
  readonly counts: ClientConnectionCounts;
  /** Told of each connection refused for the limit (the caller rate-limits its log line). */
  readonly refused: (remote: string) => void;
}

/**
 * The client port, bound on its own so that a node can hold it before its
 * services exist (and before it touches its data dir): a port in use then
 * fails a start that changed nothing. A connection that arrives before the
 * server attaches waits, its bytes buffered by the socket, and is served
 * once the node is ready, so a client that dials a starting node is answered
 * late rather than refused; one that gives up first simply closes.
 *
 * Connections are counted here, at accept, so that a flood of them (idle
 * or not yet sniffed) is cut before any parser or timer exists for it.
 */
export class ClientListener {
  private waiting = new Set<net.Socket>();
  private handler: ((socket: net.Socket) => void) | undefined;
  private closing: Promise<void> | undefined;
  private bounds: ClientListenerBounds = {
    maxConnections: defaultClientConnectionLimits.maxConnections,
    counts: new ClientConnectionCounts(),
    refused: () => {},
  };

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Binds host:port (0: an ephemeral port, read back from `port`); throws one line when it cannot. */
  static async bind(host: string, port: number): Promise<ClientListener> {
    const holder: { target: ClientListener | undefined } = { target: undefined };
    const server = net.createServer((socket) => {
      if (holder.target === undefined) socket.destroy();
      else holder.target.accept(socket);
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
      };
      server.once("error", onError);
      server.listen(port, host, () => {
        server.removeListener("error", onError);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === "string") {
      server.close();
      throw new Error(`client listener on ${host}:${port} has no TCP address`);
    }
    const listener = new ClientListener(server, host, address.port);
    holder.target = listener;
    return listener;
  }

  /** From now on every connection, and each one that waited, goes to `handler`; returns the server for error events. */
  serve(handler: (socket: net.Socket) => void, bounds?: ClientListenerBounds): net.Server {
    if (this.handler !== undefined) throw new Error(`the client listener on ${this.host}:${this.port} is already served`);
    this.handler = handler;
    if (bounds !== undefined) {
      // Connections accepted before now were counted in the listener's own counts.
      bounds.counts.open += this.bounds.counts.open;
      this.bounds = bounds;
    }
    const waited = this.waiting;
    this.waiting = new Set();
    for (const socket of waited) {
      socket.removeListener("error", ignore);
      if (!socket.destroyed) handler(socket);
    }
    return this.server;
  }

  /** Stops listening; connections still waiting are dropped (a served server closes its own). Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const socket of this.waiting) socket.destroy();
      this.waiting.clear();
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  private accept(socket: net.Socket): void {
    const { counts } = this.bounds;
    if (counts.open >= this.bounds.maxConnections) {
      counts.reject("connection-limit");
      this.bounds.refused(`${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`);
      socket.on("error", ignore);
      // A reset rather than a FIN: the refused client learns at once, and no TIME_WAIT is left here.
      socket.resetAndDestroy();
      return;
    }
    counts.open += 1;
    // Read through this.bounds at close: the counts may have been handed over to serve()'s since.
    socket.once("close", () => {
      this.bounds.counts.open -= 1;
    });
    if (this.handler !== undefined) {
      this.handler(socket);
      return;
    }
    // A reset while waiting must not become an unhandled 'error'.
    socket.on("error", ignore);
    socket.once("close", () => this.waiting.delete(socket));
    this.waiting.add(socket);
  }
}

function ignore(): void {
  // The socket's own 'close' follows; nothing to report for a client that left before the node was ready.
}
