import type { X509Certificate } from "node:crypto";
import type { PeerNetwork } from "../engine/peer-network.ts";
import { RateLimitedLog } from "../log/rate-limited-log.ts";
import { encodeEnvelopePrefix } from "./frame-codec.ts";
import { InboundBufferBudget } from "./inbound-buffer-budget.ts";
import { InboundConnection, type InboundPolicy } from "./inbound-connection.ts";
import { describeInboundRejection, type InboundRejection, type InboundRejectionKind, zeroRejectionCounts } from "./inbound-rejection.ts";
import { PeerLink } from "./peer-link.ts";
import type { PeerTls } from "./peer-tls.ts";
import { type InboundSocket, RaftListener } from "./raft-listener.ts";
import { silentTransportLogger, type TransportLogger } from "./transport-logger.ts";
import type { PeerLinkStats, TransportStats } from "./transport-stats.ts";

const MiB = 1024 * 1024;

export interface PeerTransportOptions {
  readonly clusterId: string;
  readonly selfId: string;
  readonly host: string;
  /** 0 picks an ephemeral port; read it back from `port`. */
  readonly port: number;
  /** The Raft port already bound (host and port are then ignored); the transport owns it from now on. */
  readonly listener?: RaftListener;
  /** Largest frame body accepted or sent (default 64 MiB, room for snapshot chunks). */
  readonly maxFrameBytes?: number;
  /**
   * Called for every payload from a peer that passed the handshake, in the
   * order that peer sent them. The payload is a view into a receive buffer of
   * up to a few hundred KiB that nothing else writes to; slice() what is kept
   * for long so the whole buffer is not retained.
   */
  readonly onMessage: (from: string, payload: Uint8Array, incarnation: string, address: string) => void;
  /** This node's data dir incarnation, sent in every hello. */
  readonly incarnation?: string;
  /** When given, a hello from an id it refuses closes the connection. */
  readonly isKnownPeer?: (id: string) => boolean;
  readonly logger?: TransportLogger;
  /** Per-peer outbound queue bounds (defaults 8192 frames, maxFrameBytes + 1 MiB). */
  readonly maxQueuedFrames?: number;
  readonly maxQueuedBytes?: number;
  /** Small frames are concatenated into writes of up to this many bytes (default 256 KiB). */
  readonly maxBatchBytes?: number;
  /** Reconnect backoff: first delay and ceiling (defaults 50 ms and 2000 ms), jitter source. */
  readonly reconnectInitialMs?: number;
  readonly reconnectMaxMs?: number;
  readonly random?: () => number;
  readonly connectTimeoutMs?: number;
  /** An inbound connection must say hello within this time (default 5000 ms). */
  readonly handshakeTimeoutMs?: number;
  /** A partial frame that receives no bytes for this long closes its connection (default 30000 ms). */
  readonly stalledFrameTimeoutMs?: number;
  /**
   * Inbound connections open at once, whether or not they said hello yet
   * (default 64); one past it is closed at once. Each member keeps one
   * connection to this node (a newer one from the same sender replaces the
   * older), so this is room for a large cluster plus redials.
   */
  readonly maxInboundConnections?: number;
  /** Bytes of partial frames all inbound connections may hold together (default 256 MiB, at least twice maxFrameBytes). */
  readonly maxInboundBufferedBytes?: number;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
  /**
   * Mutual TLS on the Raft port, both ways: inbound connections must present
   * a certificate from the peer CA that names the member their hello claims;
   * outbound ones talk only to a peer whose certificate names the member dialed.
   * A listener bound beforehand must have been bound with the same settings.
   */
  readonly tls?: PeerTls;
}

export const DEFAULT_MAX_INBOUND_CONNECTIONS = 64;

interface ResolvedLimits {
  readonly maxFrameBytes: number;
  readonly maxInboundConnections: number;
  readonly maxQueuedFrames: number;
  readonly maxQueuedBytes: number;
  readonly maxBatchBytes: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly connectTimeoutMs: number;
}

// Ids are bounded so that a hello (three ids and a version) always fits in
// MAX_HELLO_BYTES, and anything longer on a new connection is garbage.
const MAX_ID_BYTES = 1024;
const MAX_HELLO_BYTES = 4096;

/**
 * Raft peer messages over TCP on the Raft port: one outbound connection per
 * peer carrying length-prefixed PeerFrame envelopes around opaque payloads,
 * written in batches once per macrotask. Inbound connections are validated
 * (hello, cluster id, recipient, sender, size) and closed on the first
 * violation; the node keeps running. Delivery is best effort, in order per
 * connection: Raft retransmits what is lost.
 */
export class PeerTransport implements PeerNetwork {
  private readonly links = new Map<string, PeerLink>();
  private readonly dirtyLinks = new Set<PeerLink>();
  private flushScheduled = false;
  private readonly inboundSockets = new Set<InboundSocket>();
  private readonly inboundBySender = new Map<string, InboundSocket>();
  private readonly rejectionCounts: Record<InboundRejectionKind, number> = zeroRejectionCounts();
  private droppedForUnknownPeer = 0;
  private acceptedConnections = 0;
  private rejectedConnections = 0;
  private tlsRefusedConnections = 0;
  private supersededConnections = 0;
  private receivedFramesOfClosed = 0;
  private closed = false;

  private constructor(
    private readonly options: PeerTransportOptions,
    private readonly limits: ResolvedLimits,
    private readonly policy: InboundPolicy,
    private readonly logger: TransportLogger,
    private readonly warnings: RateLimitedLog,
    private readonly now: () => number,
    private readonly listener: RaftListener,
    private readonly progressSweep: Timer,
  ) {}

  static async listen(options: PeerTransportOptions): Promise<PeerTransport> {
    checkId("cluster id", options.clusterId);
    checkId("node id", options.selfId);
    const maxFrameBytes = positive("maxFrameBytes", options.maxFrameBytes ?? 64 * MiB);
    const limits: ResolvedLimits = {
      maxFrameBytes,
      maxInboundConnections: positive("maxInboundConnections", options.maxInboundConnections ?? DEFAULT_MAX_INBOUND_CONNECTIONS),
      maxQueuedFrames: positive("maxQueuedFrames", options.maxQueuedFrames ?? 8192),
      maxQueuedBytes: positive("maxQueuedBytes", options.maxQueuedBytes ?? maxFrameBytes + MiB),
      maxBatchBytes: positive("maxBatchBytes", options.maxBatchBytes ?? 256 * 1024),
      reconnectInitialMs: positive("reconnectInitialMs", options.reconnectInitialMs ?? 50),
      reconnectMaxMs: positive("reconnectMaxMs", options.reconnectMaxMs ?? 2000),
      connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs ?? 5000),
    };
    const utf8 = new TextEncoder();
    const policy: InboundPolicy = {
      clusterId: utf8.encode(options.clusterId),
      selfId: utf8.encode(options.selfId),
      maxFrameBytes,
      maxHelloBytes: MAX_HELLO_BYTES,
      handshakeTimeoutMs: positive("handshakeTimeoutMs", options.handshakeTimeoutMs ?? 5000),
      stalledFrameTimeoutMs: positive("stalledFrameTimeoutMs", options.stalledFrameTimeoutMs ?? 30_000),
      isKnownPeer: options.isKnownPeer,
      bufferBudget: new InboundBufferBudget(positive("maxInboundBufferedBytes", options.maxInboundBufferedBytes ?? Math.max(256 * MiB, 2 * maxFrameBytes))),
    };
    const logger = options.logger ?? silentTransportLogger;
    const now = options.now ?? (() => performance.now());
    const warnings = new RateLimitedLog(logger, 5, 10_000, now);

    const listener = options.listener ?? RaftListener.bind(options.host, options.port, options.tls);
    const sweepEveryMs = Math.max(10, Math.min(policy.handshakeTimeoutMs, policy.stalledFrameTimeoutMs) / 4);
    const holder: { transport: PeerTransport | undefined } = { transport: undefined };
    const progressSweep = setInterval(() => holder.transport?.checkInboundProgress(), sweepEveryMs);
    progressSweep.unref();
    const transport = new PeerTransport(options, limits, policy, logger, warnings, now, listener, progressSweep);
    holder.transport = transport;
    listener.attach({
      open: (socket, certificate) => transport.onInboundOpen(socket, certificate),
      tlsRefused: (remote, reason) => transport.onTlsRefused(remote, reason),
      data: (socket, chunk) => transport.onInboundData(socket, chunk),
      close: (socket) => transport.onInboundClose(socket),
      error: (socket, error) => logger.debug("inbound peer connection error", { remote: socket.remoteAddress, error }),
    });
    return transport;
  }

  get port(): number {
    return this.listener.port;
  }

  get selfId(): string {
    return this.options.selfId;
  }

  /** Adds a peer or changes its address (host:port); a change reconnects, keeping queued frames. */
  setPeer(id: string, address: string): void {
    if (this.closed) throw new Error(`peer transport of ${this.options.selfId} is closed`);
    checkId("peer id", id);
    if (id === this.options.selfId) throw new Error(`node ${id} cannot be its own peer`);
    const existing = this.links.get(id);
    if (existing !== undefined) {
      existing.setAddress(address);
      return;
    }
    const link = new PeerLink({
      peerId: id,
      address,
      envelopePrefix: encodeEnvelopePrefix(this.options.clusterId, this.options.selfId, id),
      incarnation: this.options.incarnation ?? "",
      advertisedAddress: this.advertisedAddress,
      maxFrameBytes: this.limits.maxFrameBytes,
      maxQueuedFrames: this.limits.maxQueuedFrames,
      maxQueuedBytes: this.limits.maxQueuedBytes,
      maxBatchBytes: this.limits.maxBatchBytes,
      connectTimeoutMs: this.limits.connectTimeoutMs,
      backoff: {
        initialMs: this.limits.reconnectInitialMs,
        maxMs: this.limits.reconnectMaxMs,
        random: this.options.random ?? Math.random,
      },
      now: this.now,
      logger: this.logger,
      failureLog: this.warnings,
      tls: this.options.tls,
    });
    this.links.set(id, link);
  }

  /** Where this node says it listens for peers (sent in every hello); set once the port is known. */
  advertisedAddress = "";

  peerIds(): string[] {
    return [...this.links.keys()];
  }

  /** Forgets a peer: its connection is closed and its queued frames discarded. */
  removePeer(id: string): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    link.close();
    this.links.delete(id);
    this.dirtyLinks.delete(link);
  }

  /**
   * Queues a payload for a peer; it is written with everything else queued in
   * this macrotask. False when it was dropped (unknown peer, queue full, too
   * large, transport closed): the caller's protocol must tolerate loss.
   */
  send(to: string, payload: Uint8Array): boolean {
    const link = this.links.get(to);
    if (link === undefined) {
      this.droppedForUnknownPeer++;
      return false;
    }
    if (!link.enqueue(payload)) return false;
    this.dirtyLinks.add(link);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Writes everything queued now instead of at the end of the macrotask. */
  flush(): void {
    this.flushScheduled = false;
    for (const link of this.dirtyLinks) link.flush();
    this.dirtyLinks.clear();
  }

  stats(): TransportStats {
    const peers: Record<string, PeerLinkStats> = {};
    for (const [id, link] of this.links) peers[id] = link.stats();
    let receivedFrames = this.receivedFramesOfClosed;
    for (const socket of this.inboundSockets) receivedFrames += socket.data?.receivedFrames ?? 0;
    return {
      peers,
      droppedForUnknownPeer: this.droppedForUnknownPeer,
      inbound: {
        openConnections: this.inboundSockets.size,
        acceptedConnections: this.acceptedConnections,
        receivedFrames,
        rejectedConnections: this.rejectedConnections,
        rejectionsByKind: { ...this.rejectionCounts },
        tlsRefusedConnections: this.tlsRefusedConnections,
        supersededConnections: this.supersededConnections,
        bufferedBytes: this.policy.bufferBudget.usedBytes,
      },
    };
  }

  /** Inbound connections closed, per reason, since start: each rejection kind, and failed TLS handshakes. */
  connectionRejections(): Readonly<Record<string, number>> {
    return { ...this.rejectionCounts, "tls-refused": this.tlsRefusedConnections };
  }

  /** Stops listening, closes every connection and drops what is queued. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.progressSweep);
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.dirtyLinks.clear();
    this.listener.stop();
    for (const socket of this.inboundSockets) {
      socket.data?.release();
      socket.end();
    }
    this.inboundSockets.clear();
    this.inboundBySender.clear();
    // Let the close callbacks of the ended sockets run before callers reuse the port.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private onInboundOpen(socket: InboundSocket, certificate: X509Certificate | undefined): void {
    if (this.closed) {
      socket.end();
      return;
    }
    if (this.inboundSockets.size >= this.limits.maxInboundConnections) {
      // Counted before any reader exists for it: a flood of connections costs a counter, not buffers.
      this.rejectInbound(socket, { kind: "connection-limit", limit: this.limits.maxInboundConnections });
      return;
    }
    this.acceptedConnections++;
    this.inboundSockets.add(socket);
    const tls = this.options.tls;
    socket.data = new InboundConnection(
      this.policy,
      (from, incarnation, address, payload) => this.deliver(from, incarnation, address, payload),
      this.now(),
      tls === undefined || certificate === undefined
        ? undefined
        : {
            speaksFor: (id) => tls.speaksFor(certificate, id),
            names: tls.namesOf(certificate),
            expected: (id) => tls.expectedNames(id),
          },
    );
  }

  private onTlsRefused(remote: string, reason: string): void {
    this.rejectedConnections++;
    this.tlsRefusedConnections++;
    this.warnings.warn("reject:tls", "rejected Raft peer connection", { reason, remote });
  }

  private onInboundData(socket: InboundSocket, chunk: Uint8Array): void {
    const connection = socket.data;
    if (connection === undefined || !connection.accepting) return;
    const hadSender = connection.senderId !== undefined;
    const rejection = connection.receive(chunk, this.now());
    if (rejection !== undefined) {
      this.rejectInbound(socket, rejection);
      return;
    }
    const sender = connection.senderId;
    if (!hadSender && sender !== undefined) this.onHelloAccepted(socket, sender);
  }

  private onHelloAccepted(socket: InboundSocket, sender: string): void {
    // A peer keeps one connection to us; a new one means the old one is dead
    // (peer restarted, path cut), so close the old one rather than wait for TCP.
    const previous = this.inboundBySender.get(sender);
    if (previous !== undefined && previous !== socket) {
      this.supersededConnections++;
      this.logger.debug("newer connection from peer replaces an older one", { peer: sender });
      // Frames still arriving on the old connection would interleave with the new one's.
      previous.data?.retire();
      previous.end();
    }
    this.inboundBySender.set(sender, socket);
  }

  private onInboundClose(socket: InboundSocket): void {
    if (!this.inboundSockets.delete(socket)) return;
    const connection = socket.data;
    if (connection === undefined) return;
    connection.release();
    this.receivedFramesOfClosed += connection.receivedFrames;
    const sender = connection.senderId;
    if (sender !== undefined && this.inboundBySender.get(sender) === socket) this.inboundBySender.delete(sender);
  }

  private checkInboundProgress(): void {
    const now = this.now();
    for (const socket of this.inboundSockets) {
      const rejection = socket.data?.checkProgress(now);
      if (rejection !== undefined) this.rejectInbound(socket, rejection);
    }
  }

  private rejectInbound(socket: InboundSocket, rejection: InboundRejection): void {
    this.rejectedConnections++;
    this.rejectionCounts[rejection.kind]++;
    this.warnings.warn(`reject:${rejection.kind}`, "rejected Raft peer connection", {
      reason: describeInboundRejection(rejection),
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      peer: socket.data?.senderId,
    });
    // Its partial frame goes back to the shared budget now, not when the close callback comes.
    socket.data?.release();
    socket.end();
  }

  private deliver(from: string, incarnation: string, address: string, payload: Uint8Array): void {
    try {
      this.options.onMessage(from, payload, incarnation, address);
    } catch (error) {
      // A bug in the handler must not tear down the connection or the node.
      this.warnings.warn("onMessage", "peer message handler threw", { peer: from, error });
    }
  }
}

function checkId(what: string, id: string): void {
  const bytes = new TextEncoder().encode(id).length;
  if (bytes === 0 || bytes > MAX_ID_BYTES) {
    throw new Error(`${what} must be 1..${MAX_ID_BYTES} bytes of UTF-8, got ${bytes} bytes`);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`peer transport option ${name} must be positive, got ${value}`);
  }
  return value;
}
