import type { Prng } from "./prng.ts";
import type { NetworkFaults } from "./sim-network.ts";

/** Which faults a seed turns on and how hard; drawn from the seed itself. */
export interface FaultProfile {
  readonly network: NetworkFaults;
  readonly crashes: boolean;
  readonly partitions: boolean;
  readonly membership: boolean;
  readonly transfers: boolean;
  readonly leaseReads: boolean;
  /** Nodes freeze (no ticks, messages to them lost) as a stopped process would. */
  readonly pauses: boolean;
  /** Per-node tick periods differ (clock drift); never with lease reads, which assume equal rates. */
  readonly drift: boolean;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly maxEntriesPerMessage: number;
  /** Multiplier on fault rates: high churn means short-lived leaders (the Figure 8 shapes). */
  readonly churn: number;
  /** Crash leaders that hold uncommitted entries: short-lived leaders leave divergent suffixes. */
  readonly leaderKiller: boolean;
  /** Crash a leader right after it wins an election or advances its commit index (etcd-style crash points). */
  readonly crashPoints: boolean;
  /** Chance per step that an outstanding Ready is made durable (lower: more crash-loss windows). */
  readonly persistChance: number;
  /** One voter, the others nonvoters: a sole voter wins without sending a vote request (its term must be durable before it sends anything). */
  readonly soleVoter: boolean;
}

export function chooseProfile(rng: Prng): FaultProfile {
  const profile = chooseFaults(rng);
  // A sole voter's hazard is a crash between winning (it sends at once) and persisting its new term.
  return profile.soleVoter ? { ...profile, crashPoints: true, leaderKiller: true, persistChance: 0.4 } : profile;
}

function chooseFaults(rng: Prng): FaultProfile {
  const leaseReads = rng.chance(0.25);
  const preVote = leaseReads || rng.chance(0.65);
  // Without pre-vote, very late vote replies meet candidates that moved on to a
  // later term: the shape that tests whether votes are counted per term.
  const slowElections = !preVote && rng.chance(0.6);
  return {
    network: {
      dropRate: rng.pick([0, 0.01, 0.05, 0.1]),
      duplicateRate: rng.pick([0, 0, 0.02, 0.05]),
      minDelay: 1,
      maxDelay: rng.pick([5, 15, 30]),
      slowRate: slowElections ? 0.2 : rng.pick([0, 0.01, 0.05, 0.2]),
      slowDelay: slowElections ? 400 : rng.pick([120, 400]),
      replayRate: rng.pick([0, 0, 0.01, 0.05]),
    },
    crashes: rng.chance(0.6),
    partitions: rng.chance(0.6),
    membership: rng.chance(0.5),
    transfers: rng.chance(0.4),
    leaseReads,
    pauses: rng.chance(0.5),
    drift: !leaseReads && rng.chance(0.5),
    checkQuorum: leaseReads || rng.chance(0.8),
    preVote,
    maxEntriesPerMessage: rng.pick([1, 2, 8, 64]),
    churn: rng.pick([1, 1, 3, 6]),
    leaderKiller: rng.chance(0.3),
    crashPoints: rng.chance(0.3),
    persistChance: rng.pick([1, 0.7, 0.4]),
    soleVoter: rng.chance(0.1),
  };
}

export function describeProfile(p: FaultProfile): string {
  const n = p.network;
  const flags = [
    p.crashes && "crash",
    p.partitions && "partition",
    p.pauses && "pause",
    p.membership && "membership",
    p.transfers && "transfer",
    p.leaseReads && "lease",
    p.drift && "drift",
    !p.checkQuorum && "no-check-quorum",
    !p.preVote && "no-pre-vote",
    p.leaderKiller && "leader-killer",
    p.crashPoints && "crash-points",
    p.soleVoter && "sole-voter",
  ].filter(Boolean);
  return `replay=${n.replayRate} churn=${p.churn} batch=${p.maxEntriesPerMessage} drop=${n.dropRate} dup=${n.duplicateRate} delay<=${n.maxDelay} slow=${n.slowRate} persist=${p.persistChance} ${flags.join(",")}`;
}
