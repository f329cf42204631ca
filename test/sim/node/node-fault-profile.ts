import type { FailpointName } from "../../../src/failpoint/failpoints.ts";
import type { Prng } from "../prng.ts";
import type { WireFaults } from "./sim-wire.ts";

/** Which faults a seed turns on and how hard; drawn from the seed itself. */
export interface NodeFaultProfile {
  readonly wire: WireFaults;
  /** One voter and the others nonvoters (the sole voter's own rules), instead of all voters. */
  readonly soleVoter: boolean;
  readonly crashes: boolean;
  /** Share of crashes that are a power loss (kv.db loses what was not checkpointed). */
  readonly powerLoss: number;
  readonly partitions: boolean;
  readonly oneWayCuts: boolean;
  readonly pauses: boolean;
  /** Clock rates differ by up to this fraction (within the documented bound). */
  readonly drift: number;
  readonly leaseReads: boolean;
  readonly membership: boolean;
  readonly transfers: boolean;
  /** A data dir is lost and its node comes back under the same id with --join. */
  readonly wipeAndJoin: boolean;
  /** A data dir is lost and its node comes back with the same --initial-cluster. */
  readonly wipeAndRebootstrap: boolean;
  /** raft.db writes start failing on a node (it stops; restarted later). */
  readonly diskFailures: boolean;
  /** Chance per hit that a failpoint crashes its node. */
  readonly failpoints: ReadonlyMap<FailpointName, number>;
  /** Multiplier on fault rates. */
  readonly churn: number;
  /** A forger on the network sends nodes payloads no honest member sends (see SimForger). */
  readonly forgery: boolean;
}

export function chooseNodeProfile(rng: Prng): NodeFaultProfile {
  const leaseReads = rng.chance(0.3);
  const failpointHeavy = rng.chance(0.5);
  return {
    wire: {
      dropRate: rng.pick([0, 0.01, 0.05]),
      duplicateRate: rng.pick([0, 0.01, 0.03]),
      minDelay: 1,
      maxDelay: rng.pick([3, 8, 20]),
      slowRate: rng.pick([0, 0.01, 0.05]),
      slowDelay: rng.pick([100, 400]),
      replayRate: rng.pick([0, 0, 0.005, 0.02]),
    },
    soleVoter: rng.chance(0.15),
    crashes: rng.chance(0.7),
    powerLoss: rng.pick([0, 0.3, 0.7]),
    partitions: rng.chance(0.5),
    oneWayCuts: rng.chance(0.3),
    pauses: rng.chance(0.4),
    drift: leaseReads ? rng.pick([0, 0.02, 0.05]) : rng.pick([0, 0.1]),
    leaseReads,
    membership: rng.chance(0.35),
    transfers: rng.chance(0.35),
    wipeAndJoin: rng.chance(0.4),
    wipeAndRebootstrap: rng.chance(0.2),
    diskFailures: rng.chance(0.25),
    failpoints: new Map<FailpointName, number>([
      ["snapshot.received", failpointHeavy ? 0.3 : 0.05],
      ["snapshot.install.before-log-reset", failpointHeavy ? 0.3 : 0.05],
      ["snapshot.install.after-log-reset", failpointHeavy ? 0.3 : 0.05],
      ["snapshot.restore.mid", failpointHeavy ? 0.3 : 0.05],
      ["log.persist.before-commit", failpointHeavy ? 0.003 : 0.0005],
      ["apply.before-answer", failpointHeavy ? 0.003 : 0.0005],
    ]),
    churn: rng.pick([1, 1, 2, 4]),
    forgery: rng.chance(0.5),
  };
}

export function describeNodeProfile(p: NodeFaultProfile): string {
  const w = p.wire;
  const flags = [
    p.soleVoter && "sole-voter",
    p.crashes && `crash(power=${p.powerLoss})`,
    p.partitions && "partition",
    p.oneWayCuts && "one-way",
    p.pauses && "pause",
    p.drift > 0 && `drift=${p.drift}`,
    p.leaseReads && "lease",
    p.membership && "membership",
    p.transfers && "transfer",
    p.wipeAndJoin && "wipe+join",
    p.wipeAndRebootstrap && "wipe+rebootstrap",
    p.diskFailures && "disk-failure",
    p.forgery && "forgery",
  ].filter(Boolean);
  const fp = p.failpoints.get("snapshot.received") ?? 0;
  return `churn=${p.churn} drop=${w.dropRate} dup=${w.duplicateRate} replay=${w.replayRate} delay<=${w.maxDelay} slow=${w.slowRate} failpoints=${fp > 0.1 ? "heavy" : "light"} ${flags.join(",")}`;
}
