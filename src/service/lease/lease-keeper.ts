import { create, toBinary } from "@bufbuild/protobuf";
import { BackgroundInterval } from "../../engine/background-interval.ts";
import type { Engine } from "../../engine/engine.ts";
import { CommandSchema } from "../../gen/raftkv/v1/command_pb.ts";
import { RateLimitedLog, type WarningSink } from "../../log/rate-limited-log.ts";

export interface LeaseKeeperOptions {
  /** How often deadlines are checked; expiry is late by at most about this much. */
  readonly tickMs?: number;
  /** Revocations proposed per tick at most, so a mass expiry cannot flood the log in one turn. */
  readonly maxRevokesPerTick?: number;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
  /** Where failed ticks and revocations are reported (rate-limited); silent when absent. */
  readonly logger?: WarningSink;
}

/** What the keeper knows of one lease while it leads. */
interface TrackedLease {
  readonly ttlMs: number;
  /** Monotonic time (ms) at which the lease expires unless kept alive. */
  deadline: number;
}

/** A keep-alive's or TTL query's view of one lease. */
export type LeaseTimer =
  | { readonly kind: "live"; readonly ttlMs: number; readonly remainingMs: number }
  /** Past its deadline: a revocation is (or is about to be) proposed. */
  | { readonly kind: "expired"; readonly ttlMs: number }
  | { readonly kind: "unknown" };

const defaultTickMs = 100;
const defaultMaxRevokesPerTick = 32;

/**
 * Decides lease expiry on the leader. Deadlines live only in this node's
 * memory, on a monotonic clock: they are not replicated state. When this node
 * becomes leader (or a lease appears in the applied state) every lease gets a
 * fresh full TTL, so a leader change can only lengthen a lease, never end it
 * early. An expired lease is revoked by proposing LeaseRevokeCommand, so every
 * replica deletes its keys at the same index; a failed proposal is retried on
 * a later tick. On a follower the keeper holds nothing.
 */
export class LeaseKeeper {
  readonly #engine: Engine;
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #maxRevokesPerTick: number;
  readonly #tracked = new Map<number, TrackedLease>();
  readonly #revoking = new Set<number>();
  /** The term this node leads in; -1 when it does not lead. */
  #leaderTerm = -1;
  /** The applied index the tracked set was last reconciled with the state machine at. */
  #syncedIndex = -1;
  #interval: BackgroundInterval | undefined;
  readonly #warnings: RateLimitedLog | undefined;

  constructor(engine: Engine, options: LeaseKeeperOptions = {}) {
    this.#engine = engine;
    this.#now = options.now ?? (() => performance.now());
    this.#tickMs = options.tickMs ?? defaultTickMs;
    this.#maxRevokesPerTick = options.maxRevokesPerTick ?? defaultMaxRevokesPerTick;
    this.#warnings = options.logger === undefined ? undefined : new RateLimitedLog(options.logger, 1, 10_000, () => performance.now());
  }

  start(): void {
    this.#interval ??= new BackgroundInterval(this.#tickMs, () => {
      try {
        this.tick();
      } catch (error) {
        // A failed tick (e.g. the state machine closing under it) is retried by the next one.
        this.#warnings?.warn("tick", "lease keeper tick failed", { error: String(error) });
      }
    });
    this.#interval.start();
  }

  stop(): void {
    this.#interval?.stop();
    this.#forget();
  }

  /** Proposes revocations for expired leases (at most a batch); stops itself once the engine shut down. */
  tick(): void {
    if (this.#engine.status().role === "shutdown") {
      this.stop();
      return;
    }
    if (!this.#refresh()) return;
    const now = this.#now();
    let proposed = 0;
    for (const [id, lease] of this.#tracked) {
      if (proposed >= this.#maxRevokesPerTick) break;
      if (lease.deadline > now || this.#revoking.has(id)) continue;
      this.#revoke(id);
      proposed++;
    }
  }

  /**
   * Renews a lease for its full TTL, from now. Call on the leader only, after
   * a read barrier (so the applied state holds every acknowledged grant).
   */
  keepAlive(id: number): LeaseTimer {
    const timer = this.timer(id);
    if (timer.kind !== "live") return timer;
    const lease = this.#tracked.get(id);
    if (lease !== undefined) lease.deadline = this.#now() + lease.ttlMs;
    return { kind: "live", ttlMs: timer.ttlMs, remainingMs: timer.ttlMs };
  }

  /** The lease's time left as this leader sees it. */
  timer(id: number): LeaseTimer {
    this.#refresh();
    let lease = this.#tracked.get(id);
    if (lease === undefined) {
      // Applied after the last reconciliation: it starts its window now.
      const record = this.#leaderTerm < 0 ? undefined : this.#engine.stateMachine.lease(id);
      if (record === undefined) return { kind: "unknown" };
      lease = { ttlMs: record.ttlMs, deadline: this.#now() + record.ttlMs };
      this.#tracked.set(id, lease);
    }
    const remainingMs = lease.deadline - this.#now();
    if (remainingMs <= 0) return { kind: "expired", ttlMs: lease.ttlMs };
    return { kind: "live", ttlMs: lease.ttlMs, remainingMs };
  }

  /**
   * Follows leadership and reconciles the tracked set with the applied
   * leases. Returns whether this node leads.
   */
  #refresh(): boolean {
    const status = this.#engine.status();
    if (status.role !== "leader") {
      if (this.#leaderTerm >= 0) this.#forget();
      return false;
    }
    if (status.term !== this.#leaderTerm) {
      // A new leadership: every lease starts a fresh full window.
      this.#forget();
      this.#leaderTerm = status.term;
    }
    const fsm = this.#engine.stateMachine;
    const applied = fsm.appliedIndex();
    if (applied === this.#syncedIndex) return true;
    this.#syncedIndex = applied;
    const now = this.#now();
    const live = new Set<number>();
    for (const record of fsm.leases()) {
      live.add(record.id);
      if (!this.#tracked.has(record.id)) this.#tracked.set(record.id, { ttlMs: record.ttlMs, deadline: now + record.ttlMs });
    }
    for (const id of this.#tracked.keys()) {
      if (!live.has(id)) this.#tracked.delete(id);
    }
    return true;
  }

  #revoke(id: number): void {
    this.#revoking.add(id);
    const command = toBinary(CommandSchema, create(CommandSchema, { op: { case: "leaseRevoke", value: { id: BigInt(id) } } }));
    const term = this.#leaderTerm;
    this.#engine.propose(command).then(
      (applied) => {
        this.#revoking.delete(id);
        // Applied (or already gone: a client revoked it first). Either way it is over.
        if (this.#leaderTerm === term && (applied.result.kind === "leaseRevoke" || this.#engine.stateMachine.lease(id) === undefined)) {
          this.#tracked.delete(id);
        }
      },
      (error: unknown) => {
        // Not leader any more, a timeout, shutdown: the next tick retries while this node still leads.
        this.#revoking.delete(id);
        this.#warnings?.warn("revoke", "proposing an expired lease's revocation failed; retrying", { lease: id, error: String(error) });
      },
    );
  }

  #forget(): void {
    this.#tracked.clear();
    this.#revoking.clear();
    this.#leaderTerm = -1;
    this.#syncedIndex = -1;
  }
}
