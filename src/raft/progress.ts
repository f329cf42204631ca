import { Inflights } from "./inflights.ts";

/**
 * How the leader replicates to one peer:
 * - probe: one append at a time until we find where the logs agree;
 * - replicate: pipelined appends, bounded by the in-flight window;
 * - snapshot: a snapshot is on its way; appends wait.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

/** What a rejected append tells the leader about a peer's log. */
export type RejectOutcome =
  /** An answer to an append no longer outstanding: ignore it. */
  | "stale"
  /** Probe again from an earlier index now. */
  | "retry"
  /** As retry, and the peer no longer holds entries it acknowledged: its match went down. */
  | "regressed";

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

  constructor(
    next: number,
    maxInflight: number,
    nowTick: number,
    /** The peer's incarnation this progress was learned from; another one starts from scratch. */
    readonly incarnation = "",
  ) {
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
   * probably agree. A rejection of the very probe outstanding at or below
   * `match` means the peer no longer holds entries it acknowledged (its log
   * was lost or cut short behind our back): its match is forgotten down to
   * the hint, so it is probed back from there or sent a snapshot, instead of
   * being probed at match + 1 forever. A rejection that was in fact stale
   * only costs a resend: a lower match is conservative.
   */
  onReject(rejected: number, matchHint: number): RejectOutcome {
    if (this.state === "replicate") {
      if (rejected <= this.match) return "stale";
      this.becomeProbe();
      return "retry";
    }
    if (this.next - 1 !== rejected) return "stale";
    // Every answered probe moves next back by at least one, so a peer that cannot match is walked
    // back to where it does (or below the log's start, where it gets a snapshot) in bounded steps.
    const next = Math.max(1, Math.min(rejected, matchHint + 1, this.next - 1));
    this.next = next;
    this.probeSent = false;
    if (next - 1 >= this.match) return "retry";
    this.match = next - 1;
    return "regressed";
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
