import type { Message } from "../../src/raft/message.ts";
import { EventQueue } from "./event-queue.ts";
import type { Prng } from "./prng.ts";

/** A message on the wire; a snapshot message carries the sender's snapshot bytes with it. */
export interface Packet {
  readonly message: Message;
  readonly snapshotData: Uint8Array | undefined;
}

export interface NetworkFaults {
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Chance a message is held much longer than maxDelay (reordering). */
  readonly slowRate: number;
  readonly slowDelay: number;
  /** Chance per send that an old message (one of the last few hundred) is delivered again. */
  readonly replayRate: number;
}

const replayMemory = 256;

/** Virtual links with delay, loss, duplication, reordering and partitions. */
export class SimNetwork {
  private readonly inFlight = new EventQueue<Packet>();
  /** Node id -> partition group; nodes in different groups cannot talk. */
  private groups = new Map<string, number>();
  private readonly recent: Packet[] = [];
  sent = 0;
  dropped = 0;

  constructor(
    private readonly faults: NetworkFaults,
    private readonly rng: Prng,
  ) {}

  send(packet: Packet, now: number): "queued" | "dropped" {
    this.sent++;
    if (this.rng.chance(this.faults.dropRate) || !this.connected(packet.message.from, packet.message.to)) {
      this.dropped++;
      return "dropped";
    }
    this.inFlight.push(now + this.delay(), packet);
    this.recent.push(packet);
    if (this.recent.length > replayMemory) this.recent.shift();
    if (this.rng.chance(this.faults.replayRate)) {
      // Stale traffic from long ago (a transport resending an old buffer): every term check must hold.
      const old = this.rng.pick(this.recent);
      if (this.connected(old.message.from, old.message.to)) this.inFlight.push(now + this.delay(), old);
    }
    // A duplicate is a late replay (a retransmission from a stale buffer): it tests term checks.
    if (this.rng.chance(this.faults.duplicateRate)) {
      this.inFlight.push(now + this.rng.between(this.faults.maxDelay, this.faults.slowDelay), packet);
    }
    return "queued";
  }

  private delay(): number {
    if (this.rng.chance(this.faults.slowRate)) return this.rng.between(this.faults.maxDelay, this.faults.slowDelay);
    return this.rng.between(this.faults.minDelay, this.faults.maxDelay);
  }

  /** Packets due now whose endpoints are still connected. */
  deliverable(now: number): Packet[] {
    return this.inFlight.popDue(now).filter((p) => {
      const ok = this.connected(p.message.from, p.message.to);
      if (!ok) this.dropped++;
      return ok;
    });
  }

  connected(a: string, b: string): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }

  partition(groups: readonly (readonly string[])[]): void {
    this.groups = new Map();
    groups.forEach((group, g) => {
      for (const id of group) this.groups.set(id, g);
    });
  }

  heal(): void {
    this.groups = new Map();
  }

  isPartitioned(): boolean {
    return this.groups.size > 0;
  }
}
