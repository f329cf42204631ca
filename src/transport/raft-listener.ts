import type { X509Certificate } from "node:crypto";
import type { Socket, TCPSocketListener } from "bun";
import type { InboundConnection } from "./inbound-connection.ts";
import type { PeerTls } from "./peer-tls.ts";

export type InboundSocket = Socket<InboundConnection | undefined>;

/** What the transport that owns the Raft port does with its connections. */
export interface InboundHandlers {
  /** With mutual TLS, called only after a handshake that verified `certificate` against the peer CA. */
  open(socket: InboundSocket, certificate?: X509Certificate): void;
  data(socket: InboundSocket, chunk: Uint8Array): void;
  close(socket: InboundSocket): void;
  error(socket: InboundSocket, error: Error): void;
  /** A connection closed because its TLS handshake failed (no certificate, another CA, expired...). */
  tlsRefused(remote: string, reason: string): void;
}

/**
 * The Raft port, bound on its own so that a node can hold it before it knows
 * its cluster id and before it touches its data dir: a port in use then fails
 * a start that changed nothing. Until a transport attaches, a connection is
 * closed at once; the peer redials with backoff and Raft retransmits, exactly
 * as with a node that is still starting.
 */
export class RaftListener {
  private handlers: InboundHandlers | undefined;
  private stopped = false;

  private constructor(
    private readonly listener: TCPSocketListener<InboundConnection | undefined>,
    readonly host: string,
  ) {}

  /**
   * Binds host:port (0: an ephemeral port, read back from `port`); throws one
   * line when it cannot. With `tls`, every connection must complete a mutual
   * TLS handshake before a byte of it is read as a frame.
   */
  static bind(host: string, port: number, tls?: PeerTls): RaftListener {
    // Bun's callbacks need the instance, which needs the listener: route them through a holder.
    const holder: { target: RaftListener | undefined } = { target: undefined };
    let listener: TCPSocketListener<InboundConnection | undefined>;
    try {
      listener = Bun.listen<InboundConnection | undefined>({
        hostname: host,
        port,
        // Two nodes on one Raft port must fail loudly, not share it.
        exclusive: true,
        data: undefined,
        socket: {
          open: (socket) => {
            const handlers = holder.target?.handlers;
            if (handlers === undefined) socket.end();
            else if (tls === undefined) handlers.open(socket);
            else upgradeInbound(socket, tls, handlers);
          },
          // With TLS the accepted socket only carries ciphertext; its upgraded twin has the data.
          data: (socket, chunk) => {
            if (tls === undefined) holder.target?.handlers?.data(socket, chunk);
          },
          close: (socket) => holder.target?.handlers?.close(socket),
          error: (socket, error) => holder.target?.handlers?.error(socket, error),
        },
      });
    } catch (cause) {
      const reason = cause instanceof Error && "code" in cause && typeof cause.code === "string" ? `: ${cause.code}` : "";
      throw new Error(`cannot listen for Raft peers on ${host}:${port}${reason}`, { cause });
    }

    const bound = new RaftListener(listener, host);
    holder.target = bound;
    return bound;
  }

  get port(): number {
    return this.listener.port;
  }

  /** Hands every later connection to `handlers`; one transport per listener. */
  attach(handlers: InboundHandlers): void {
    if (this.handlers !== undefined) throw new Error(`the Raft listener on ${this.host}:${this.port} already has a transport`);
    this.handlers = handlers;
  }

  /** Stops listening and closes open connections; idempotent, so a failed start and its transport may both call it. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.listener.stop(true);
  }
}

/**
 * Runs the server side of the mutual TLS handshake on an accepted socket.
 * The transport sees the connection only once the peer's certificate
 * verified against the peer CA; until then nothing it sends is read.
 */
function upgradeInbound(socket: InboundSocket, tls: PeerTls, handlers: InboundHandlers): void {
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  const options = tls.serverOptions();
  if (options === undefined) {
    handlers.tlsRefused(remote, "this node has no certificate valid now (see the certificate log lines)");
    socket.end();
    return;
  }
  let opened = false;
  socket.upgradeTLS<InboundConnection | undefined>({
    data: undefined,
    // Bun's TLSOptions has no isServer; the upgrade of an accepted socket needs it.
    tls: { ...options, requestCert: true, rejectUnauthorized: true, isServer: true } as typeof options,
    socket: {
      handshake: (secured, ok, error) => {
        // Bun reports a completed handshake whose certificate failed verification as ok with an error.
        const verified = ok && error === null;
        const certificate = verified ? secured.getPeerX509Certificate() : undefined;
        if (!verified || certificate === undefined) {
          handlers.tlsRefused(remote, `TLS handshake failed: ${error?.message ?? "no client certificate"}`);
          secured.end();
          return;
        }
        opened = true;
        handlers.open(secured, certificate);
      },
      data: (secured, chunk) => {
        if (opened) handlers.data(secured, chunk);
      },
      close: (secured) => {
        if (opened) handlers.close(secured);
      },
      error: (secured, error) => handlers.error(secured, error),
    },
  });
}
