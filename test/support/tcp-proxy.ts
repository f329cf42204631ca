import type { Socket, TCPSocketListener } from "bun";

/**
 * A TCP proxy for tests that sits in front of a node's Raft port, so links can
 * be cut, delayed and lossy from the outside.
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
 * - `setDelay(ms)`: every chunk is forwarded `ms` later, order kept.
 * - `setDropRate(p)`: message loss. Each chunk of data is, with probability p,
 *   lost together with its connection: the pair is reset, so whatever was in
 *   flight on it is gone and the endpoints must reconnect. Nothing is
 *   silently removed from a stream that stays open. A chunk is whatever one
 *   read returned (often many frames), so p is per read, not per message.
 * - `resetConnections()`: resets every open connection once, like a flapping link.
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
}

type ProxyMode = { readonly kind: "open" } | { readonly kind: "cut"; readonly cutMode: CutMode };

type ClientSocket = Socket<ProxyPair | undefined>;
type UpstreamSocket = Socket<undefined>;

// Above this many buffered bytes in one direction the source is paused.
const HIGH_WATER_BYTES = 1024 * 1024;

export class TcpProxy {
  private mode: ProxyMode = { kind: "open" };
  private delayMs = 0;
  private dropRate = 0;
  private random: () => number = Math.random;
  private readonly pairs = new Set<ProxyPair>();
  private acceptedConnections = 0;
  private droppedConnections = 0;
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

  cut(cutMode: CutMode = "blackhole"): void {
    this.mode = { kind: "cut", cutMode };
    for (const pair of [...this.pairs]) {
      switch (cutMode) {
        case "blackhole":
          pair.blackhole();
          break;
        case "reset":
          pair.close();
          break;
        default: {
          const unreachable: never = cutMode;
          throw new Error(`unknown cut mode ${String(unreachable)}`);
        }
      }
    }
  }

  heal(): void {
    this.mode = { kind: "open" };
    for (const pair of [...this.pairs]) {
      if (pair.isBlackholed) pair.close();
    }
  }

  setDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error(`delay must be >= 0 ms, got ${ms}`);
    this.delayMs = ms;
  }

  get delay(): number {
    return this.delayMs;
  }

  /** Probability in [0, 1] that a chunk is lost along with its connection; `random` is injectable for replayable runs. */
  setDropRate(probability: number, random: () => number = Math.random): void {
    if (!(probability >= 0 && probability <= 1)) throw new Error(`drop rate must be in [0, 1], got ${probability}`);
    this.dropRate = probability;
    this.random = random;
  }

  /** Resets every open connection once; new ones flow normally. */
  resetConnections(): void {
    for (const pair of [...this.pairs]) pair.close();
  }

  stats(): TcpProxyStats {
    return {
      openPairs: this.pairs.size,
      acceptedConnections: this.acceptedConnections,
      forwardedBytes: this.counters.forwardedBytes,
      discardedBytes: this.counters.discardedBytes,
      droppedConnections: this.droppedConnections,
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
  shouldDrop(): boolean {
    if (this.dropRate > 0 && this.random() < this.dropRate) {
      this.droppedConnections++;
      return true;
    }
    return false;
  }

  forget(pair: ProxyPair): void {
    this.pairs.delete(pair);
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
    if (this.mode.kind === "cut") {
      pair.blackhole();
      return;
    }
    pair.connectUpstream(this.targetHost, this.targetPort);
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
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, waitMs));
  }
}

type PairState = "forwarding" | "blackholed" | "draining" | "closed";

/** An accepted client connection and its connection to the target. */
class ProxyPair {
  private upstream: UpstreamSocket | undefined;
  private state: PairState = "forwarding";
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
    this.receive(chunk, this.toUpstream);
  }

  clientDrained(): void {
    this.toClient.drained();
  }

  blackhole(): void {
    if (this.state !== "forwarding") return;
    this.state = "blackholed";
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
    if (this.state !== "forwarding") {
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
        if (this.proxy.shouldDrop()) {
          this.proxy.counters.discardedBytes += chunk.length;
          this.close();
          return;
        }
        pipe.push(chunk, this.proxy.delay);
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
