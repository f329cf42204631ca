import type { RaftStorage } from "./storage.ts";

/** Knobs of one node's core. Times are in ticks; the engine decides what a tick is. */
export interface RaftConfig {
  readonly id: string;
  readonly storage: RaftStorage;
  /** Randomized election timeout is drawn from [electionTicks, 2 * electionTicks). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Injected randomness in [0, 1): a seeded PRNG in the simulator. */
  readonly random: () => number;
  /** Last index the state machine already applied (survives restarts when the FSM is durable). */
  readonly applied?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly maxEntriesPerMessage?: number;
  readonly maxBytesPerMessage?: number;
  readonly maxInflightMessages?: number;
  /** Entries kept below a snapshot for slow followers (hashicorp TrailingLogs). */
  readonly trailingLogs?: number;
  /** A nonvoter is promoted once its match is within this many entries of the leader's last index. */
  readonly promotionLag?: number;
  /**
   * Lease reads: > 0 enables them, with a lease of this many ticks from the
   * send time of the last heartbeat round a quorum acknowledged. Safe only
   * if every node's tick rate differs by less than the margin between this
   * and electionTicks (followers refuse votes for electionTicks after
   * hearing from the leader, and a restarted node refuses votes for its
   * first electionTicks). Must be < electionTicks; requires checkQuorum; set
   * it the same on every node.
   */
  readonly leaseTicks?: number;
  /** Ticks before an unfinished leadership transfer is abandoned (default electionTicks). */
  readonly transferTimeoutTicks?: number;
  /**
   * This node's data dir incarnation (see Member.incarnation; default ""). A
   * node never votes or campaigns as a member the configuration records
   * with another incarnation, nor with an empty log.
   */
  readonly incarnation?: string;
  /**
   * Whether a configuration that records this node's id with no incarnation
   * ("" : a static bootstrap not yet advertised) may be taken as this node
   * (default true). False for a data dir that entered by a join: the leader
   * always records a joiner's incarnation, so a blank one names an earlier
   * node under the same id.
   */
  readonly acceptUnrecordedIncarnation?: boolean;
}

export interface ResolvedConfig {
  readonly id: string;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly random: () => number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxEntriesPerMessage: number;
  readonly maxBytesPerMessage: number;
  readonly maxInflightMessages: number;
  readonly trailingLogs: number;
  readonly promotionLag: number;
  readonly leaseTicks: number;
  readonly transferTimeoutTicks: number;
  readonly incarnation: string;
  readonly acceptUnrecordedIncarnation: boolean;
}

export function resolveConfig(config: RaftConfig): ResolvedConfig {
  const resolved: ResolvedConfig = {
    id: config.id,
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    random: config.random,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    maxEntriesPerMessage: config.maxEntriesPerMessage ?? 64,
    maxBytesPerMessage: config.maxBytesPerMessage ?? 1024 * 1024,
    maxInflightMessages: config.maxInflightMessages ?? 256,
    trailingLogs: config.trailingLogs ?? 10240,
    promotionLag: config.promotionLag ?? 64,
    leaseTicks: config.leaseTicks ?? 0,
    transferTimeoutTicks: config.transferTimeoutTicks ?? config.electionTicks,
    incarnation: config.incarnation ?? "",
    acceptUnrecordedIncarnation: config.acceptUnrecordedIncarnation ?? true,
  };
  if (resolved.id === "") throw new Error("raft config: id must not be empty");
  if (resolved.heartbeatTicks < 1) throw new Error(`raft config: heartbeatTicks ${resolved.heartbeatTicks} must be >= 1`);
  if (resolved.electionTicks <= resolved.heartbeatTicks) {
    throw new Error(`raft config: electionTicks ${resolved.electionTicks} must exceed heartbeatTicks ${resolved.heartbeatTicks}`);
  }
  if (resolved.maxInflightMessages < 1) throw new Error("raft config: maxInflightMessages must be >= 1");
  if (resolved.maxEntriesPerMessage < 1) throw new Error("raft config: maxEntriesPerMessage must be >= 1");
  if (resolved.leaseTicks > 0 && (resolved.leaseTicks >= resolved.electionTicks || !resolved.checkQuorum)) {
    throw new Error(`raft config: leaseTicks ${resolved.leaseTicks} needs checkQuorum and must be < electionTicks ${resolved.electionTicks}`);
  }
  return resolved;
}
