import type { Socket, TCPSocketListener } from "bun";
import { decodeFrameBody, FrameView } from "../../src/transport/frame-codec.ts";
import { FrameReader } from "../../src/transport/frame-reader.ts";

/**
 * A TCP proxy for tests that sits in front of a node's Raft port, so links can
 * be cut, delayed and lossy from the outside.
 *
 * Wiring: one proxy per node, in front of its Raft port. Start the node with
 * `--raft-listen` on its own port and give the proxy's `address` to everyone
 * else (`--initial-cluster id=<proxy address>` and `--advertise-raft`), so
 * every peer connection INTO that node passes this proxy. Raft peers use one
 * connection per direction, so the proxy in front of node B carries exactly
 * the links X→B.
 *
 * Senders: the proxy reads the first frame of each connection (the peer
 * transport's hello, decoded with the project's frame codec) to learn who is
 * sending, before it forwards a byte or dials the target. That makes
 * directed faults possible: `blockSenders(["a"])` on B's proxy cuts a→B only
 * (an asymmetric partition); a full partition between groups is a block on
 * every proxy of one side naming the nodes of the other (see
 * test/cluster/proxied-cluster.ts, `partition`). A connection whose first
 * bytes are not a hello (garbage, other protocols) is "unidentified": it is
 * forwarded unchanged and only the proxy-wide faults apply to it. Until the
 * first frame is complete the proxy holds the bytes; a client that sends an
 * incomplete first frame and waits is never connected through.
 *
 * What each fault means (TCP is a reliable byte stream, so bytes cannot be
 * dropped from the middle of a connection without corrupting every frame
 * after them; faults therefore act on whole connections):
 *
 * - `cut("blackhole")` (default): a network partition as TCP endpoints see it.
 *   Open connections stay open but every byte in either direction is read and
 *   discarded; new connections are accepted and treated the same. Senders see
 *   successful writes that never arrive. `heal()` closes the blackholed
 *   connections (their streams lost bytes and cannot be resumed, as after a
 *   real partition TCP would eventually time out), and new connections flow.
 * - `cut("reset")`: a crashed link. Open connections are reset; new ones are
 *   accepted and reset at once, until `heal()`.
 * - `blockSenders(ids, mode)`: the same two modes, for connections whose hello
 *   names one of `ids` only; other senders flow. Blocks add up across calls
 *   (a later call may change a sender's mode). `unblockSenders(ids)` lifts
 *   them (all when `ids` is omitted) and closes those senders' blackholed
 *   connections so they reconnect; `heal()` lifts the global cut and every
 *   sender block.
 * - `setDelay(ms)`: every chunk is forwarded `ms` later, order kept.
 *   `setSenderDelay(id, ms)` overrides it for one sender's connections
 *   (`undefined` removes the override).
 * - `setDropRate(p)`: message loss. Each chunk of data is, with probability p,
 *   lost together with its connection: the pair is reset, so whatever was in
 *   flight on it is gone and the endpoints must reconnect. Nothing is
 *   silently removed from a stream that stays open. A chunk is whatever one
 *   read returned (often many frames), so p is per read, not per message.
 *   `setSenderDropRate(id, p)` overrides it for one sender.
 * - `resetConnections()`: resets every open connection once, like a flapping link.
 *
 * Delays and drop rates are not touched by `heal()`; set them back to 0.
 * `stats().connectionsBySender` and `hellos()` say who is connected, e.g. to
 * wait until a healed link is back or to forge a frame with the right
 * cluster id.
 *
 * Without faults the proxy is transparent: bytes in order, backpressure passed
 * on (a slow reader pauses the writer), and a clean close delivers what was
 * sent before it.
 */
export type CutMode = "blackhole" | "reset";

export interface TcpProxyOptions {
  readonly listenHost?: string;
  /** 0 picks an ephemeral port; read it back from `port`. */
  readonly listenPort: number;
  /** host:port of the real listener. */
  readonly target: string;
}

export interface TcpProxyStats {
  readonly openPairs: number;
  readonly acceptedConnections: number;
  readonly forwardedBytes: number;
  readonly discardedBytes: number;
  readonly droppedConnections: number;
  /** Open connections per sender id named in their hello (unidentified ones are not counted). */
  readonly connectionsBySender: Readonly<Record<string, number>>;
  /** Connections whose first bytes were not a hello. */
  readonly unidentifiedConnections: number;
}

/** The envelope of a peer transport hello, as the proxy read it. */
export interface PeerHello {
  readonly clusterId: string;
  readonly senderId: string;
  readonly recipientId: string;
}

type ProxyMode = { readonly kind: "open" } | { readonly kind: "cut"; readonly cutMode: CutMode };

/** Who is on the other end of a pair, as far as its first frame tells. */
type PairIdentity = { readonly kind: "pending" } | { readonly kind: "peer"; readonly hello: PeerHello } | { readonly kind: "unidentified" };

type ClientSocket = Socket<ProxyPair | undefined>;
type UpstreamSocket = Socket<undefined>;

// Above this many buffered bytes in one direction the source is paused.
const HIGH_WATER_BYTES = 1024 * 1024;
// A hello holds three ids of at most 1 KiB each and a version; a first frame
// announcing more than this is not a hello (the transport uses the same bound).
const MAX_HELLO_BYTES = 4096;

export class TcpProxy {
  private mode: ProxyMode = { kind: "open" };
  private delayMs = 0;
  private dropRate = 0;
  private random: () => number = Math.random;
  private readonly blockedSenders = new Map<string, CutMode>();
  private readonly senderDelays = new Map<string, number>();
  private readonly senderDropRates = new Map<string, number>();
  private readonly helloBySender = new Map<string, PeerHello>();
  private readonly pairs = new Set<ProxyPair>();
  private acceptedConnections = 0;
  private droppedConnections = 0;
  private unidentifiedConnections = 0;
  readonly counters = { forwardedBytes: 0, discardedBytes: 0 };
  private closed = false;

  private constructor(
    private readonly listener: TCPSocketListener<ProxyPair | undefined>,
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const separator = options.target.lastIndexOf(":");
    const targetHost = options.target.slice(0, separator);
    const targetPort = Number(options.target.slice(separator + 1));
    if (separator <= 0 || !Number.isInteger(targetPort) || targetPort <= 0) {
      throw new Error(`proxy target must be host:port, got ${JSON.stringify(options.target)}`);
    }
    const holder: { proxy: TcpProxy | undefined } = { proxy: undefined };
    const listener = Bun.listen<ProxyPair | undefined>({
      hostname: options.listenHost ?? "127.0.0.1",
      port: options.listenPort,
      exclusive: true,
      data: undefined,
      socket: {
        open: (socket) => holder.proxy?.onAccept(socket),
        data: (socket, chunk) => socket.data?.fromClient(chunk),
        drain: (socket) => socket.data?.clientDrained(),
        close: (socket) => socket.data?.sideClosed("client"),
        error: (socket) => socket.data?.close(),
      },
    });
    const proxy = new TcpProxy(listener, targetHost, targetPort);
    holder.proxy = proxy;
    return proxy;
  }

  get port(): number {
    return this.listener.port;
  }

  /** The address to give nodes instead of the target's. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Cuts every connection, identified or not (see the class comment for the modes). */
  cut(cutMode: CutMode = "blackhole"): void {
    this.mode = { kind: "cut", cutMode };
    for (const pair of [...this.pairs]) pair.applyCut(cutMode);
  }

  /** Lifts the global cut and every sender block; blackholed connections are closed so senders reconnect. */
  heal(): void {
    this.mode = { kind: "open" };
    this.blockedSenders.clear();
    for (const pair of [...this.pairs]) {
      if (pair.isBlackholed) pair.close();
    }
  }

  /** Cuts the connections whose hello names one of `senders`, now and until unblocked; others flow. */
  blockSenders(senders: Iterable<string>, cutMode: CutMode = "blackhole"): void {
    const added = new Set(senders);
    for (const sender of added) this.blockedSenders.set(sender, cutMode);
    for (const pair of [...this.pairs]) {
      const sender = pair.senderId;
      if (sender !== undefined && added.has(sender)) pair.applyCut(cutMode);
    }
  }

  /** Lifts the blocks of `senders` (every sender block when omitted); the global cut stays as it is. */
  unblockSenders(senders?: Iterable<string>): void {
    const lifted = new Set(senders ?? this.blockedSenders.keys());
    for (const sender of lifted) this.blockedSenders.delete(sender);
    if (this.mode.kind === "cut") return;
    for (const pair of [...this.pairs]) {
      const sender = pair.senderId;
      if (sender !== undefined && lifted.has(sender) && pair.isBlackholed) pair.close();
    }
  }

  /** The senders blocked now, with their mode. */
  blocked(): ReadonlyMap<string, CutMode> {
    return new Map(this.blockedSenders);
  }

  setDelay(ms: number): void {
    checkDelay(ms);
    this.delayMs = ms;
  }

  get delay(): number {
    return this.delayMs;
  }

  /** Delay for one sender's connections instead of the proxy-wide one; `undefined` removes the override. */
  setSenderDelay(sender: string, ms: number | undefined): void {
    if (ms === undefined) {
      this.senderDelays.delete(sender);
      return;
    }
    checkDelay(ms);
    this.senderDelays.set(sender, ms);
  }

  /** Probability in [0, 1] that a chunk is lost along with its connection; `random` is injectable for replayable runs. */
  setDropRate(probability: number, random: () => number = Math.random): void {
    checkProbability(probability);
    this.dropRate = probability;
    this.random = random;
  }

  /** Drop rate for one sender's connections instead of the proxy-wide one; `undefined` removes the override. */
  setSenderDropRate(sender: string, probability: number | undefined): void {
    if (probability === undefined) {
      this.senderDropRates.delete(sender);
      return;
    }
    checkProbability(probability);
    this.senderDropRates.set(sender, probability);
  }

  /** Resets every open connection once; new ones flow normally. */
  resetConnections(): void {
    for (const pair of [...this.pairs]) pair.close();
  }

  /** The latest hello seen from each sender since the proxy started. */
  hellos(): PeerHello[] {
    return [...this.helloBySender.values()];
  }

  stats(): TcpProxyStats {
    const connectionsBySender: Record<string, number> = {};
    for (const pair of this.pairs) {
      const sender = pair.senderId;
      if (sender !== undefined) connectionsBySender[sender] = (connectionsBySender[sender] ?? 0) + 1;
    }
    return {
      openPairs: this.pairs.size,
      acceptedConnections: this.acceptedConnections,
      forwardedBytes: this.counters.forwardedBytes,
      discardedBytes: this.counters.discardedBytes,
      droppedConnections: this.droppedConnections,
      connectionsBySender,
      unidentifiedConnections: this.unidentifiedConnections,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener.stop(true);
    for (const pair of [...this.pairs]) pair.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Called by a pair for each chunk: true when the chunk must be lost with its connection. */
  shouldDrop(sender: string | undefined): boolean {
    const rate = (sender === undefined ? undefined : this.senderDropRates.get(sender)) ?? this.dropRate;
    if (rate > 0 && this.random() < rate) {
      this.droppedConnections++;
      return true;
    }
    return false;
  }

  delayFor(sender: string | undefined): number {
    return (sender === undefined ? undefined : this.senderDelays.get(sender)) ?? this.delayMs;
  }

  forget(pair: ProxyPair): void {
    this.pairs.delete(pair);
  }

  /** Called once a pair's first frame told who it is: cut it, or dial the target and let its bytes through. */
  identified(pair: ProxyPair, identity: PairIdentity): void {
    switch (identity.kind) {
      case "pending":
        return;
      case "unidentified":
        this.unidentifiedConnections++;
        break;
      case "peer":
        this.helloBySender.set(identity.hello.senderId, identity.hello);
        break;
      default: {
        const unreachable: never = identity;
        throw new Error(`unknown pair identity ${JSON.stringify(unreachable)}`);
      }
    }
    const blockMode = identity.kind === "peer" ? this.blockedSenders.get(identity.hello.senderId) : undefined;
    const cutMode = this.mode.kind === "cut" ? this.mode.cutMode : blockMode;
    if (cutMode !== undefined) {
      pair.applyCut(cutMode);
      return;
    }
    pair.connectUpstream(this.targetHost, this.targetPort);
  }

  private onAccept(client: ClientSocket): void {
    this.acceptedConnections++;
    if (this.closed) {
      client.terminate();
      return;
    }
    if (this.mode.kind === "cut" && this.mode.cutMode === "reset") {
      client.terminate();
      return;
    }
    const pair = new ProxyPair(this, client);
    client.data = pair;
    this.pairs.add(pair);
    if (this.mode.kind === "cut") pair.blackhole();
    // Otherwise the pair waits for its first frame, then calls identified().
  }
}

function checkDelay(ms: number): void {
  if (!(ms >= 0)) throw new Error(`delay must be >= 0 ms, got ${ms}`);
}

function checkProbability(probability: number): void {
  if (!(probability >= 0 && probability <= 1)) throw new Error(`drop rate must be in [0, 1], got ${probability}`);
}

const helloText = new TextDecoder("utf-8", { fatal: false });

/**
 * Reads the first frame of a connection with the transport's own reader and
 * codec, and keeps every byte seen so far so they can be forwarded unchanged.
 */
class HelloSniffer {
  private readonly reader = new FrameReader(MAX_HELLO_BYTES);
  private readonly held: Uint8Array[] = [];

  /** Feeds a chunk; returns the identity once the first frame is in (or cannot be a hello). */
  push(chunk: Uint8Array): PairIdentity {
    this.held.push(chunk);
    let firstBody: Uint8Array | undefined;
    const outcome = this.reader.push(chunk, (body) => {
      firstBody = body;
      return false;
    });
    if (outcome.kind === "oversized") return { kind: "unidentified" };
    if (firstBody === undefined) return { kind: "pending" };
    const view = new FrameView();
    if (decodeFrameBody(firstBody, view) !== undefined || view.body !== "hello") return { kind: "unidentified" };
    const field = (start: number, end: number): string => helloText.decode(firstBody?.subarray(start, end));
    return {
      kind: "peer",
      hello: {
        clusterId: field(view.clusterIdStart, view.clusterIdEnd),
        senderId: field(view.senderIdStart, view.senderIdEnd),
        recipientId: field(view.recipientIdStart, view.recipientIdEnd),
      },
    };
  }

  /** Everything pushed so far, in order. */
  takeHeld(): Uint8Array[] {
    return this.held.splice(0);
  }
}

/** One direction of a pair: chunks waiting for their release time and for the destination to accept them. */
class Pipe {
  private chunks: { bytes: Uint8Array; releaseAt: number }[] = [];
  private bufferedBytes = 0;
  private timer: Timer | undefined;
  private awaitingDrain = false;
  private onEmpty: (() => void) | undefined;
  destination: Socket<unknown> | undefined;

  constructor(
    private readonly counters: { forwardedBytes: number },
    private readonly onBufferChange: (bufferedBytes: number) => void,
  ) {}

  push(chunk: Uint8Array, delayMs: number): void {
    const now = performance.now();
    const last = this.chunks.at(-1);
    // Never release before the chunk ahead of it, even if the delay was lowered.
    const releaseAt = Math.max(now + delayMs, last?.releaseAt ?? 0);
    // Bun hands every data callback a fresh buffer, so keeping it needs no copy.
    this.chunks.push({ bytes: chunk, releaseAt });
    this.bufferedBytes += chunk.length;
    this.onBufferChange(this.bufferedBytes);
    this.pump();
  }

  drained(): void {
    this.awaitingDrain = false;
    this.pump();
  }

  /** Calls `then` once everything buffered has been written (at once if nothing is). */
  finish(then: () => void): void {
    this.onEmpty = then;
    this.pump();
  }

  pump(): void {
    const destination = this.destination;
    if (destination === undefined || this.awaitingDrain) return;
    const now = performance.now();
    for (;;) {
      const head = this.chunks[0];
      if (head === undefined) break;
      if (head.releaseAt > now) {
        this.schedule(head.releaseAt - now);
        break;
      }
      const written = destination.write(head.bytes);
      if (written < 0) return;
      this.counters.forwardedBytes += written;
      this.bufferedBytes -= written;
      if (written < head.bytes.length) {
        head.bytes = head.bytes.subarray(written);
        this.awaitingDrain = true;
        break;
      }
      this.chunks.shift();
    }
    this.onBufferChange(this.bufferedBytes);
    if (this.chunks.length === 0 && this.onEmpty !== undefined) {
      const then = this.onEmpty;
      this.onEmpty = undefined;
      then();
    }
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chunks = [];
    this.bufferedBytes = 0;
    this.onEmpty = undefined;
  }

  private schedule(waitMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, waitMs),
    );
  }
}

type PairState = "forwarding" | "blackholed" | "draining" | "closed";

/** An accepted client connection and, once its first frame is in, its connection to the target. */
class ProxyPair {
  private upstream: UpstreamSocket | undefined;
  private state: PairState = "forwarding";
  private identity: PairIdentity = { kind: "pending" };
  private sniffer: HelloSniffer | undefined = new HelloSniffer();
  private readonly toUpstream: Pipe;
  private readonly toClient: Pipe;
  private clientPaused = false;
  private upstreamPaused = false;

  constructor(
    private readonly proxy: TcpProxy,
    private readonly client: ClientSocket,
  ) {
    // A full pipe pauses the socket that feeds it, so a slow side cannot make the proxy buffer without bound.
    this.toUpstream = new Pipe(proxy.counters, (buffered) => {
      this.clientPaused = this.throttle(this.client, this.clientPaused, buffered);
    });
    this.toClient = new Pipe(proxy.counters, (buffered) => {
      this.upstreamPaused = this.throttle(this.upstream, this.upstreamPaused, buffered);
    });
    this.toClient.destination = client;
  }

  get isBlackholed(): boolean {
    return this.state === "blackholed";
  }

  /** The sender its hello named; undefined while pending or when unidentified. */
  get senderId(): string | undefined {
    return this.identity.kind === "peer" ? this.identity.hello.senderId : undefined;
  }

  applyCut(cutMode: CutMode): void {
    switch (cutMode) {
      case "blackhole":
        this.blackhole();
        return;
      case "reset":
        this.close();
        return;
      default: {
        const unreachable: never = cutMode;
        throw new Error(`unknown cut mode ${String(unreachable)}`);
      }
    }
  }

  connectUpstream(host: string, port: number): void {
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open: (socket) => {
          if (this.state === "closed") {
            socket.terminate();
            return;
          }
          this.upstream = socket;
          if (this.state === "forwarding" || this.state === "draining") {
            this.toUpstream.destination = socket;
            this.toUpstream.pump();
          }
        },
        data: (_socket, chunk) => this.receive(chunk, this.toClient),
        drain: () => this.toUpstream.drained(),
        close: () => this.sideClosed("upstream"),
        error: () => this.close(),
        connectError: () => this.close(),
      },
    }).catch(() => {
      // Reported through connectError.
    });
  }

  fromClient(chunk: Uint8Array): void {
    const sniffer = this.sniffer;
    if (sniffer === undefined || this.state !== "forwarding") {
      this.receive(chunk, this.toUpstream);
      return;
    }
    const identity = sniffer.push(chunk);
    if (identity.kind === "pending") return;
    this.sniffer = undefined;
    this.identity = identity;
    this.proxy.identified(this, identity);
    // Cut or not, the held bytes take the normal path: forwarded, discarded or ignored by state.
    for (const held of sniffer.takeHeld()) this.receive(held, this.toUpstream);
  }

  clientDrained(): void {
    this.toClient.drained();
  }

  blackhole(): void {
    if (this.state !== "forwarding") return;
    this.state = "blackholed";
    this.sniffer = undefined;
    this.toUpstream.clear();
    this.toClient.clear();
    this.toUpstream.destination = undefined;
    this.toClient.destination = undefined;
    // A blackhole reads and discards, so nothing may stay paused.
    if (this.clientPaused) this.client.resume();
    if (this.upstreamPaused) this.upstream?.resume();
    this.clientPaused = false;
    this.upstreamPaused = false;
  }

  /**
   * One side closed its connection: what it sent before closing is still
   * delivered (a proxy must not turn a clean close into data loss), then the
   * other side is closed too.
   */
  sideClosed(side: "client" | "upstream"): void {
    // A client that leaves before its first frame is complete has nothing to deliver.
    if (this.state !== "forwarding" || this.identity.kind === "pending") {
      this.close();
      return;
    }
    this.state = "draining";
    const pipe = side === "client" ? this.toUpstream : this.toClient;
    // If the upstream is still connecting, its open callback pumps and finish fires then.
    pipe.finish(() => this.endGracefully());
  }

  /** Resets both sides at once, discarding anything buffered. */
  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.sniffer = undefined;
    this.toUpstream.clear();
    this.toClient.clear();
    this.client.terminate();
    this.upstream?.terminate();
    this.proxy.forget(this);
  }

  private endGracefully(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.toUpstream.clear();
    this.toClient.clear();
    this.client.end();
    this.upstream?.end();
    this.proxy.forget(this);
  }

  private receive(chunk: Uint8Array, pipe: Pipe): void {
    switch (this.state) {
      case "closed":
      case "draining":
        return;
      case "blackholed":
        this.proxy.counters.discardedBytes += chunk.length;
        return;
      case "forwarding":
        if (this.proxy.shouldDrop(this.senderId)) {
          this.proxy.counters.discardedBytes += chunk.length;
          this.close();
          return;
        }
        pipe.push(chunk, this.proxy.delayFor(this.senderId));
        return;
      default: {
        const unreachable: never = this.state;
        throw new Error(`unknown pair state ${String(unreachable)}`);
      }
    }
  }

  /** Returns whether the source is paused afterwards. */
  private throttle(source: Socket<unknown> | undefined, paused: boolean, bufferedBytes: number): boolean {
    if (source === undefined || this.state === "closed") return paused;
    const shouldPause = bufferedBytes > HIGH_WATER_BYTES;
    if (shouldPause && !paused) source.pause();
    if (!shouldPause && paused) source.resume();
    return shouldPause;
  }
}
