import type { PeerNetwork, PeerSender } from "../../../src/engine/peer-network.ts";
import type { Prng } from "../prng.ts";
import type { VirtualTime } from "./virtual-time.ts";

export interface WireFaults {
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Chance a payload is held much longer (reordering, stale retransmissions). */
  readonly slowRate: number;
  readonly slowDelay: number;
  /**
   * Chance per send that an old payload (one of the last few hundred) is
   * delivered again, long after it was sent: a stale retransmission, which
   * may reach a later process of its recipient.
   */
  readonly replayRate: number;
}

const replayMemory = 256;

/** Where a node's incoming payloads go (its current incarnation's inbox). */
export interface WireEndpoint {
  receive(sender: PeerSender, payload: Uint8Array): void;
  /**
   * A payload no node sent (see SimForger), built when the node reads it so
   * it can be aimed at the state the node is in then (undefined: nothing to
   * send); `read` hears whether the node dropped it.
   */
  receiveForged(build: () => ForgedPayload | undefined, read: (dropped: boolean) => void): void;
}

/** A payload and the sender its connection claims. */
export interface ForgedPayload {
  readonly sender: PeerSender;
  readonly payload: Uint8Array;
}

/**
 * The network between simulated nodes: payloads (the engine's real
 * encoding) with delay, loss, duplication, reordering, and partitions that
 * may cut a link one way only.
 */
export class SimWire {
  private readonly endpoints = new Map<string, WireEndpoint>();
  /** "a>b": nothing from a reaches b. */
  private readonly blocked = new Set<string>();
  private readonly recent: { readonly sender: PeerSender; readonly to: string; readonly payload: Uint8Array }[] = [];
  sent = 0;
  dropped = 0;
  forged = 0;

  constructor(
    private readonly time: VirtualTime,
    private faults: WireFaults,
    private readonly rng: Prng,
  ) {}

  /** No more loss, duplication or long delays (the quiet period at the end of a run). */
  calm(): void {
    this.faults = { ...this.faults, dropRate: 0, duplicateRate: 0, slowRate: 0, replayRate: 0 };
  }

  attach(id: string, endpoint: WireEndpoint | undefined): void {
    if (endpoint === undefined) this.endpoints.delete(id);
    else this.endpoints.set(id, endpoint);
  }

  send(sender: PeerSender, to: string, payload: Uint8Array): void {
    this.sent++;
    if (this.rng.chance(this.faults.dropRate) || !this.connected(sender.id, to)) {
      this.dropped++;
      return;
    }
    const copy = payload.slice();
    this.schedule(sender, to, copy, this.delay());
    this.recent.push({ sender, to, payload: copy });
    if (this.recent.length > replayMemory) this.recent.shift();
    if (this.rng.chance(this.faults.replayRate)) {
      const old = this.rng.pick(this.recent);
      this.schedule(old.sender, old.to, old.payload, this.rng.between(this.faults.maxDelay, this.faults.slowDelay));
    }
    if (this.rng.chance(this.faults.duplicateRate)) this.schedule(sender, to, copy, this.rng.between(this.faults.maxDelay, this.faults.slowDelay));
  }

  /** A forger on the network hands `to` a payload under a name of its choice; partitions do not stop it. */
  forge(to: string, build: () => ForgedPayload | undefined, read: (dropped: boolean) => void): void {
    this.forged++;
    this.endpoints.get(to)?.receiveForged(build, read);
  }

  connected(from: string, to: string): boolean {
    return !this.blocked.has(`${from}>${to}`);
  }

  /** Cuts every link between groups, both ways (replacing earlier cuts). */
  partition(groups: readonly (readonly string[])[]): void {
    this.blocked.clear();
    for (const [i, a] of groups.entries()) {
      for (const [j, b] of groups.entries()) {
        if (i === j) continue;
        for (const x of a) for (const y of b) this.blocked.add(`${x}>${y}`);
      }
    }
  }

  /** Cuts the links from `from` to each of `to`, one way. */
  cutOneWay(from: string, to: readonly string[]): void {
    for (const y of to) this.blocked.add(`${from}>${y}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  private delay(): number {
    if (this.rng.chance(this.faults.slowRate)) return this.rng.between(this.faults.maxDelay, this.faults.slowDelay);
    return this.rng.between(this.faults.minDelay, this.faults.maxDelay);
  }

  private schedule(sender: PeerSender, to: string, payload: Uint8Array, delay: number): void {
    this.time.schedule(this.time.now + delay, undefined, () => {
      if (!this.connected(sender.id, to)) {
        this.dropped++;
        return;
      }
      this.endpoints.get(to)?.receive(sender, payload);
    });
  }
}

/** One node incarnation's side of the wire: the engine's PeerNetwork. */
export class SimPeerNetwork implements PeerNetwork {
  readonly port = 0;
  private readonly peers = new Set<string>();
  private closed = false;

  constructor(
    private readonly wire: SimWire,
    private readonly self: PeerSender,
  ) {}

  send(to: string, payload: Uint8Array): boolean {
    if (this.closed || !this.peers.has(to)) return false;
    this.wire.send(this.self, to, payload);
    return true;
  }

  flush(): void {}

  setPeer(id: string): void {
    this.peers.add(id);
  }

  removePeer(id: string): void {
    this.peers.delete(id);
  }

  peerIds(): string[] {
    return [...this.peers];
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
