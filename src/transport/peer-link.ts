import type { Socket } from "bun";
import type { RateLimitedLog } from "../log/rate-limited-log.ts";
import { encodeHelloFrame, encodePayloadFrame, payloadFrameBodyLength } from "./frame-codec.ts";
import { FrameQueue } from "./frame-queue.ts";
import { type PeerAddress, parsePeerAddress } from "./peer-address.ts";
import { HOSTNAME_ONLY_MISMATCH, type PeerTls } from "./peer-tls.ts";
import { ReconnectBackoff, type ReconnectBackoffOptions } from "./reconnect-backoff.ts";
import type { TransportLogger } from "./transport-logger.ts";
import type { PeerLinkStats } from "./transport-stats.ts";

export interface PeerLinkOptions {
  readonly peerId: string;
  readonly address: string;
  /** Encoded cluster, sender and recipient ids (see frame-codec.ts). */
  readonly envelopePrefix: Uint8Array;
  /** This node's data dir incarnation, said in the hello. */
  readonly incarnation?: string;
  /** Where this node listens for peers, said in the hello. */
  readonly advertisedAddress?: string;
  readonly maxFrameBytes: number;
  readonly maxQueuedFrames: number;
  readonly maxQueuedBytes: number;
  readonly maxBatchBytes: number;
  readonly connectTimeoutMs: number;
  readonly backoff: ReconnectBackoffOptions;
  readonly now: () => number;
  readonly logger: TransportLogger;
  readonly failureLog: RateLimitedLog;
  /** Mutual TLS: dial with this node's certificate, and talk only to a peer whose certificate names `peerId`. */
  readonly tls?: PeerTls;
}

type LinkState =
  | { readonly kind: "connecting"; readonly timeout: Timer }
  | { readonly kind: "connected"; readonly socket: Socket<undefined>; readonly openedAt: number }
  | { readonly kind: "waiting"; readonly timer: Timer }
  | { readonly kind: "closed" };

/**
 * The one outbound connection to one peer: a bounded queue of encoded frames,
 * written in batches, with reconnects after failures. Nothing here blocks:
 * when the peer is slow or gone, frames wait in the queue until it is full,
 * then new ones are dropped and counted.
 */
export class PeerLink {
  private address: PeerAddress;
  private addressText: string;
  private state: LinkState;
  // Bumped whenever a connection attempt is abandoned, so late callbacks of
  // an old socket are told apart from the current one.
  private generation = 0;
  private readonly queue: FrameQueue;
  private readonly backoff: ReconnectBackoff;
  private readonly helloFrame: Uint8Array;
  // A batch taken from the queue and partly written; the rest waits for drain.
  private pending: Uint8Array | undefined;
  private pendingFrames = 0;
  private awaitingDrain = false;
  private everConnected = false;
  private sentFrames = 0;
  private sentBytes = 0;
  private droppedFrames = 0;
  private reconnects = 0;
  private connectFailures = 0;
  // Consecutive failed attempts: only the first of a streak is a warning.
  private failureStreak = 0;

  constructor(private readonly options: PeerLinkOptions) {
    this.address = parsePeerAddress(options.address);
    this.addressText = options.address;
    this.queue = new FrameQueue(options.maxQueuedFrames, options.maxQueuedBytes);
    this.backoff = new ReconnectBackoff(options.backoff);
    this.helloFrame = encodeHelloFrame(options.envelopePrefix, undefined, options.incarnation ?? "", options.advertisedAddress ?? "");
    this.state = this.connect();
  }

  get peerId(): string {
    return this.options.peerId;
  }

  /** Queues one payload; false when it was dropped (link closed, frame too large, queue full). */
  enqueue(payload: Uint8Array): boolean {
    if (this.state.kind === "closed") return false;
    if (payloadFrameBodyLength(this.options.envelopePrefix, payload.length) > this.options.maxFrameBytes) {
      this.droppedFrames++;
      return false;
    }
    const frame = encodePayloadFrame(this.options.envelopePrefix, payload);
    if (!this.queue.push(frame, this.pending?.length ?? 0)) {
      this.droppedFrames++;
      return false;
    }
    return true;
  }

  /** Writes queued frames until the queue is empty or the socket pushes back. */
  flush(): void {
    if (this.state.kind !== "connected" || this.awaitingDrain) return;
    const socket = this.state.socket;
    for (;;) {
      if (this.pending === undefined) {
        const batch = this.queue.takeBatch(this.options.maxBatchBytes);
        if (batch === undefined) return;
        this.pending = batch.bytes;
        this.pendingFrames = batch.frames;
      }
      const written = socket.write(this.pending);
      // Negative: the socket is closing; its close callback settles the batch.
      if (written < 0) return;
      this.sentBytes += written;
      if (written < this.pending.length) {
        this.pending = this.pending.subarray(written);
        this.awaitingDrain = true;
        return;
      }
      this.sentFrames += this.pendingFrames;
      this.pending = undefined;
      this.pendingFrames = 0;
    }
  }

  /** Points the link at a new address: the current connection is closed, queued frames go to the new one. */
  setAddress(address: string): void {
    if (address === this.addressText || this.state.kind === "closed") return;
    const parsed = parsePeerAddress(address);
    this.options.logger.info("peer address changed", { peer: this.peerId, from: this.addressText, to: address });
    this.address = parsed;
    this.addressText = address;
    this.abandonConnection();
    this.backoff.reset();
    this.state = this.connect();
  }

  close(): void {
    if (this.state.kind === "closed") return;
    this.abandonConnection();
    this.queue.clear();
    this.state = { kind: "closed" };
  }

  stats(): PeerLinkStats {
    return {
      address: this.addressText,
      connected: this.state.kind === "connected",
      queuedBytes: this.queue.bytes + (this.pending?.length ?? 0),
      queuedFrames: this.queue.length + this.pendingFrames,
      sentFrames: this.sentFrames,
      sentBytes: this.sentBytes,
      droppedFrames: this.droppedFrames,
      reconnects: this.reconnects,
      connectFailures: this.connectFailures,
    };
  }

  private connect(): LinkState {
    const generation = ++this.generation;
    const current = () => generation === this.generation;
    const { host, port } = this.address;
    const peerTls = this.options.tls;
    const tlsOptions = peerTls?.clientOptions();
    if (peerTls !== undefined && tlsOptions === undefined) {
      // Reported like any failed attempt, and retried with backoff: a certificate may be put in place meanwhile.
      const timer = setTimeout(() => {
        if (current()) this.onConnectFailed(new Error("this node has no certificate valid now (see the certificate log lines)"));
      }, 0);
      return { kind: "connecting", timeout: timer };
    }
    Bun.connect({
      hostname: host,
      port,
      ...(tlsOptions === undefined ? {} : { tls: tlsOptions }),
      socket: {
        open: (socket) => {
          if (!current()) {
            socket.end();
            return;
          }
          // With TLS nothing is sent until the handshake proved who answered.
          if (peerTls === undefined) this.onOpen(socket);
        },
        handshake: (socket, ok, error) => {
          if (!current() || peerTls === undefined) return;
          const problem = this.checkPeerCertificate(peerTls, socket, ok, error);
          if (problem !== undefined) {
            this.onConnectFailed(new Error(problem));
            socket.end();
            return;
          }
          this.onOpen(socket);
        },
        drain: () => {
          if (!current()) return;
          this.awaitingDrain = false;
          this.flush();
        },
        // Peers never answer on this connection: replies travel on their own link to us.
        data: () => {},
        error: (_socket, error) => {
          if (current()) this.options.logger.debug("peer connection error", { peer: this.peerId, error });
        },
        close: (_socket, error) => {
          if (current()) this.onConnectionLost(error);
        },
        connectError: (_socket, error) => {
          if (current()) this.onConnectFailed(error);
        },
      },
    }).catch(() => {
      // Reported through connectError.
    });
    const timeout = setTimeout(() => {
      if (current()) this.onConnectFailed(new Error(`connect timed out after ${this.options.connectTimeoutMs} ms`));
    }, this.options.connectTimeoutMs);
    return { kind: "connecting", timeout };
  }

  /** Undefined when the peer's certificate verified against the peer CA and names this link's member. */
  private checkPeerCertificate(peerTls: PeerTls, socket: Socket<undefined>, ok: boolean, error: Error | null): string | undefined {
    // Host names are not checked (members are told apart by id): a chain that verified but names another host is fine.
    const code = error !== null && "code" in error ? error.code : undefined;
    // Bun may report a verification failure as ok with an error: any error but the host name one refuses.
    if ((!ok || error !== null) && code !== HOSTNAME_ONLY_MISMATCH) return `TLS handshake with peer failed: ${error?.message ?? "unknown error"}`;
    const certificate = socket.getPeerX509Certificate();
    if (certificate === undefined) return "TLS handshake with peer failed: the peer sent no certificate";
    if (!peerTls.speaksFor(certificate, this.peerId)) {
      return `the TLS certificate at ${this.addressText} (${certificate.subject.replace(/\n/g, ", ")}; ${certificate.subjectAltName ?? "no SAN"}) is not member ${this.peerId}'s: it must name ${peerTls.expectedNames(this.peerId)}`;
    }
    return undefined;
  }

  private onOpen(socket: Socket<undefined>): void {
    if (this.state.kind === "connecting") clearTimeout(this.state.timeout);
    socket.setNoDelay(true);
    // Finds a peer that vanished without a FIN while the link is idle.
    socket.setKeepAlive(true, 10_000);
    if (this.everConnected) this.reconnects++;
    this.everConnected = true;
    this.state = { kind: "connected", socket, openedAt: this.options.now() };
    if (this.failureStreak > 0) {
      this.options.logger.info("peer reachable again", {
        peer: this.peerId,
        address: this.addressText,
        failedAttempts: this.failureStreak,
      });
    } else {
      this.options.logger.debug("peer connected", { peer: this.peerId, address: this.addressText });
    }
    this.failureStreak = 0;
    // The hello goes first, ahead of anything queued while disconnected.
    this.pending = this.helloFrame;
    this.pendingFrames = 0;
    this.awaitingDrain = false;
    this.flush();
  }

  private onConnectFailed(error: Error | undefined): void {
    if (this.state.kind === "connecting") clearTimeout(this.state.timeout);
    this.connectFailures++;
    this.failureStreak++;
    // Name the cause: Bun reports some failures without an Error object.
    const fields = {
      peer: this.peerId,
      address: this.addressText,
      error: error?.message ?? "the connection attempt failed (no error given)",
      failedAttempts: this.failureStreak,
    };
    if (this.failureStreak === 1) {
      this.options.failureLog.warn(`connect:${this.peerId}`, "cannot connect to peer", fields);
    } else {
      this.options.logger.debug("cannot connect to peer", fields);
    }
    this.generation++;
    this.scheduleReconnect();
  }

  private onConnectionLost(error: Error | undefined): void {
    if (this.state.kind === "connecting") clearTimeout(this.state.timeout);
    if (this.state.kind === "connected" && this.options.now() - this.state.openedAt >= this.options.backoff.maxMs) {
      // Only a connection that stayed up a while resets the backoff: a peer
      // that accepts and at once closes (it rejects us) is not hammered.
      this.backoff.reset();
    }
    this.discardPending();
    this.options.failureLog.warn(`lost:${this.peerId}`, "peer connection lost", {
      peer: this.peerId,
      address: this.addressText,
      // A close without an error is the peer (or the network) ending the connection: say so instead of error=undefined.
      error: error?.message ?? "closed by the peer",
    });
    this.generation++;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.backoff.nextDelayMs();
    const timer = setTimeout(() => {
      if (this.state.kind === "waiting" && this.state.timer === timer) this.state = this.connect();
    }, delay);
    this.state = { kind: "waiting", timer };
  }

  /** Ends whatever connection or attempt is current without scheduling a retry. */
  private abandonConnection(): void {
    this.generation++;
    switch (this.state.kind) {
      case "connecting":
        clearTimeout(this.state.timeout);
        break;
      case "connected":
        this.state.socket.end();
        break;
      case "waiting":
        clearTimeout(this.state.timer);
        break;
      case "closed":
        break;
      default: {
        const unreachable: never = this.state;
        throw new Error(`unknown link state ${JSON.stringify(unreachable)}`);
      }
    }
    this.discardPending();
  }

  private discardPending(): void {
    // Bytes of a partly written batch cannot be resumed on a new connection:
    // the stream would start mid-frame.
    this.droppedFrames += this.pendingFrames;
    this.pending = undefined;
    this.pendingFrames = 0;
    this.awaitingDrain = false;
  }
}
