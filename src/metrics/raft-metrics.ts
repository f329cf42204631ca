import { Counter, Histogram, type Registry } from "prom-client";
import type { ProposalOutcome, RaftObserver } from "../engine/observer.ts";

/** etcd's disk buckets (1 ms doubling), extended down to 0.1 ms: a good SSD fsync is ~0.3 ms. */
export const diskBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];
const snapshotBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const outcomes: readonly ProposalOutcome[] = ["applied", "not_leader", "timeout", "unknown", "failed"];

/**
 * The engine's events as Prometheus metrics (the RaftObserver the node hands
 * the engine): append and apply latency, leader changes, proposals by
 * outcome, snapshots taken and installed.
 */
export class RaftMetrics implements RaftObserver {
  readonly #append: Histogram;
  readonly #apply: Histogram;
  readonly #leaderChanges: Counter;
  readonly #proposals: Map<ProposalOutcome, Counter.Internal>;
  readonly #snapshotSeconds: Histogram;
  readonly #snapshotsInstalled: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#append = new Histogram({
      name: "raftkv_raft_append_seconds",
      help: "Time to write a batch of Raft log entries and hard state durably (one SQLite transaction, one fsync)",
      buckets: diskBuckets,
      registers,
    });
    this.#apply = new Histogram({
      name: "raftkv_raft_apply_seconds",
      help: "Time to apply a batch of committed entries to the state machine (one SQLite transaction)",
      buckets: diskBuckets,
      registers,
    });
    this.#leaderChanges = new Counter({
      name: "raftkv_raft_leader_changes_total",
      help: "Times this node saw the leader change (etcd's leader_changes_seen_total)",
      registers,
    });
    const proposals = new Counter({
      name: "raftkv_raft_proposals_total",
      help: "Proposals made on this node by how they ended: applied, not_leader (forwarded or refused), timeout, unknown (outcome unknown), failed",
      labelNames: ["outcome"],
      registers,
    });
    // Every outcome is listed from the start, at 0, so rate() works before the first failure.
    for (const outcome of outcomes) proposals.inc({ outcome }, 0);
    this.#proposals = new Map(outcomes.map((outcome) => [outcome, proposals.labels({ outcome })]));
    this.#snapshotSeconds = new Histogram({
      name: "raftkv_raft_snapshot_seconds",
      help: "Time to take a snapshot of the state machine (a consistent copy, fsynced and recorded)",
      buckets: snapshotBuckets,
      registers,
    });
    this.#snapshotsInstalled = new Counter({
      name: "raftkv_raft_snapshots_installed_total",
      help: "Snapshots received from a leader and restored into the state machine",
      registers,
    });
  }

  persisted(ms: number): void {
    this.#append.observe(ms / 1000);
  }

  applied(ms: number): void {
    this.#apply.observe(ms / 1000);
  }

  leaderChanged(): void {
    this.#leaderChanges.inc();
  }

  proposalDone(outcome: ProposalOutcome): void {
    this.#proposals.get(outcome)?.inc();
  }

  snapshotTaken(ms: number): void {
    this.#snapshotSeconds.observe(ms / 1000);
  }

  snapshotInstalled(): void {
    this.#snapshotsInstalled.inc();
  }
}
