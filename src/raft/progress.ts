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

/**
 * The leader's view of one peer's log and the flow control towards it (etcd's
 * tracker.Progress). Every change of state goes through a method named after
 * the event that causes it; the leader reads the rest.
 */
export class Progress {
  #match = 0;
  #next: number;
  #state: ProgressState = "probe";
  /** Probe state: an append is out and we wait for its answer (or a heartbeat answer). */
  #probeSent = false;
  #pendingSnapshot = 0;
  /** Heard from since the last check-quorum sweep. */
  #recentActive = false;
  /** Tick (leader-local clock) when we last heard from this peer. */
  #lastContactTick: number;
  /** Highest heartbeat round this peer acknowledged. */
  #ackedRound = 0;
  readonly #inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    nowTick: number,
    /** The peer's incarnation this progress was learned from; another one starts from scratch. */
    readonly incarnation = "",
  ) {
    this.#next = next;
    this.#inflights = new Inflights(maxInflight);
    this.#lastContactTick = nowTick;
  }

  get match(): number {
    return this.#match;
  }

  get next(): number {
    return this.#next;
  }

  get state(): ProgressState {
    return this.#state;
  }

  get pendingSnapshot(): number {
    return this.#pendingSnapshot;
  }

  get lastContactTick(): number {
    return this.#lastContactTick;
  }

  get ackedRound(): number {
    return this.#ackedRound;
  }

  /** Appends in flight (replicate state). */
  get inflight(): number {
    return this.#inflights.count();
  }

  becomeProbe(): void {
    if (this.#state === "snapshot") {
      const pending = this.#pendingSnapshot;
      this.#state = "probe";
      this.#next = Math.max(this.#match + 1, pending + 1);
    } else {
      this.#state = "probe";
      this.#next = this.#match + 1;
    }
    this.#probeSent = false;
    this.#pendingSnapshot = 0;
    this.#inflights.reset();
  }

  becomeReplicate(): void {
    this.#state = "replicate";
    this.#next = this.#match + 1;
    this.#probeSent = false;
    this.#pendingSnapshot = 0;
    this.#inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.#state = "snapshot";
    this.#pendingSnapshot = snapshotIndex;
    this.#probeSent = false;
    this.#inflights.reset();
  }

  /**
   * An append went out carrying entries up to `lastIndex` (undefined: an
   * empty probe). Replicating, the next one follows it at once and it takes a
   * slot of the window; probing, nothing more goes until it is answered.
   */
  onAppendSent(lastIndex: number | undefined): void {
    if (this.#state === "replicate") {
      if (lastIndex !== undefined) {
        this.#next = lastIndex + 1;
        this.#inflights.add(lastIndex);
      }
    } else {
      this.#probeSent = true;
    }
  }

  /**
   * The peer acknowledged its log matches through `index`. Returns whether
   * match moved; a probe that found the match point turns into replication,
   * a snapshot that the peer now holds ends.
   */
  onAppendAck(index: number): boolean {
    const updated = this.#match < index;
    if (updated) {
      this.#match = index;
      this.#probeSent = false;
    }
    this.#next = Math.max(this.#next, index + 1);
    if (!updated) return false;
    switch (this.#state) {
      case "probe":
        this.becomeReplicate();
        break;
      case "snapshot":
        if (this.#match >= this.#pendingSnapshot) this.becomeReplicate();
        break;
      case "replicate":
        this.#inflights.freeLE(index);
        break;
      default: {
        const unreachable: never = this.#state;
        throw new Error(`unknown progress state ${String(unreachable)}`);
      }
    }
    return true;
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
    if (this.#state === "replicate") {
      if (rejected <= this.#match) return "stale";
      this.becomeProbe();
      return "retry";
    }
    if (this.#next - 1 !== rejected) return "stale";
    // Every answered probe moves next back by at least one, so a peer that cannot match is walked
    // back to where it does (or below the log's start, where it gets a snapshot) in bounded steps.
    const next = Math.max(1, Math.min(rejected, matchHint + 1, this.#next - 1));
    this.#next = next;
    this.#probeSent = false;
    if (next - 1 >= this.#match) return "retry";
    this.#match = next - 1;
    return "regressed";
  }

  /** Any message from the peer: it is alive (check-quorum) and in contact (stats). */
  heardFrom(nowTick: number): void {
    this.#recentActive = true;
    this.#lastContactTick = nowTick;
  }

  /** A heartbeat answer: a probe may go again; a full window gives up its oldest slot (that append was probably lost). */
  onHeartbeatResponse(): void {
    this.#probeSent = false;
    if (this.#state === "replicate" && this.#inflights.full()) this.#inflights.freeFirstOne();
  }

  /** The peer acknowledged heartbeat round `round`; returns whether that is a round it had not acknowledged yet. */
  ackRound(round: number): boolean {
    if (round <= this.#ackedRound) return false;
    this.#ackedRound = round;
    return true;
  }

  /** The check-quorum sweep: whether the peer was heard from since the last sweep (which starts a new one). */
  sweepActive(): boolean {
    const active = this.#recentActive;
    this.#recentActive = false;
    return active;
  }

  /** The peer could not be reached: optimistic replication stops until it answers. */
  onUnreachable(): void {
    if (this.#state === "replicate") this.becomeProbe();
  }

  /**
   * The engine finished (or failed) streaming the pending snapshot. Either
   * way the peer is probed next, but only after its answer (or a heartbeat
   * answer) comes: a failed transfer is retried from scratch, not at once.
   */
  onSnapshotReported(succeeded: boolean): void {
    if (this.#state !== "snapshot") return;
    if (!succeeded) this.#pendingSnapshot = 0;
    this.becomeProbe();
    this.#probeSent = true;
  }

  isPaused(): boolean {
    switch (this.#state) {
      case "probe":
        return this.#probeSent;
      case "replicate":
        return this.#inflights.full();
      case "snapshot":
        return true;
      default: {
        const unreachable: never = this.#state;
        throw new Error(`unknown progress state ${String(unreachable)}`);
      }
    }
  }
}
