import { Inflights } from "./inflights.ts";

/**
 * How the leader replicates to one peer:
 * - probe: one append at a time until we find where the logs agree;
 * - replicate: pipelined appends, bounded by the in-flight window;
 * - snapshot: a snapshot is on its way; appends wait.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** Probe state: an append is out and we wait for its answer (or a heartbeat answer). */
  probeSent = false;
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum sweep. */
  recentActive = false;
  /** Tick (leader-local clock) when we last heard from this peer. */
  lastContactTick: number;
  /** Highest heartbeat round this peer acknowledged. */
  ackedRound = 0;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, nowTick: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.lastContactTick = nowTick;
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      const pending = this.pendingSnapshot;
      this.state = "probe";
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.state = "probe";
      this.next = this.match + 1;
    }
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = "snapshot";
    this.pendingSnapshot = snapshotIndex;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** A successful ack up to index; returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of the append at `rejected`; `matchHint` is where the logs
   * probably agree. Returns false for stale rejections.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
      default: {
        const unreachable: never = this.state;
        throw new Error(`unknown progress state ${String(unreachable)}`);
      }
    }
  }
}
