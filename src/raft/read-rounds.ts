import { committedIndex } from "./quorum.ts";

/** A read waiting for leadership confirmation. */
export interface PendingRead {
  readonly requestId: string;
  /** The node to answer: the leader itself or the follower that asked. */
  readonly from: string;
  /** Commit index when the read arrived at the leader. */
  readonly index: number;
  /** First heartbeat round sent after the read arrived; its quorum ack confirms leadership. */
  readonly round: number;
}

/**
 * Heartbeat rounds confirm leadership: a read may be served at its index
 * once a quorum acknowledged a round sent after the read arrived. At most
 * one round is in flight on behalf of reads, so one round serves every read
 * queued behind it.
 */
export class ReadRounds {
  lastRound = 0;
  quorumRound = 0;
  /** Send tick of the quorum-acknowledged round: the start of the lease. */
  leaseStartTick = Number.NEGATIVE_INFINITY;
  private readonly sentTick = new Map<number, number>();
  private pending: PendingRead[] = [];

  reset(): void {
    this.lastRound = 0;
    this.quorumRound = 0;
    this.leaseStartTick = Number.NEGATIVE_INFINITY;
    this.sentTick.clear();
    this.pending = [];
  }

  enqueue(requestId: string, from: string, index: number): void {
    this.pending.push({ requestId, from, index, round: this.lastRound + 1 });
  }

  roundInFlight(): boolean {
    return this.quorumRound < this.lastRound;
  }

  /** Some read waits for a round that has not been sent yet. */
  wantsRound(): boolean {
    const last = this.pending[this.pending.length - 1];
    return last !== undefined && last.round > this.lastRound;
  }

  startRound(nowTick: number): number {
    this.lastRound++;
    this.sentTick.set(this.lastRound, nowTick);
    return this.lastRound;
  }

  /**
   * Recomputes the quorum-acknowledged round from every voter's highest
   * acknowledged round; returns the reads it releases.
   */
  onAcks(voterAcks: number[]): PendingRead[] {
    const round = committedIndex(voterAcks);
    if (round <= this.quorumRound) return [];
    this.quorumRound = round;
    this.leaseStartTick = this.sentTick.get(round) ?? this.leaseStartTick;
    for (const r of this.sentTick.keys()) if (r < round) this.sentTick.delete(r);
    let k = 0;
    while (k < this.pending.length && (this.pending[k] as PendingRead).round <= round) k++;
    const released = this.pending.slice(0, k);
    this.pending = this.pending.slice(k);
    return released;
  }

  pendingCount(): number {
    return this.pending.length;
  }
}
