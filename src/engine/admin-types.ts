import type { Member } from "../raft/membership.ts";
import type { EngineRole } from "./engine.ts";

/** A committed configuration entry: its log index and the members it lists. */
export interface ConfigurationChange {
  readonly index: number;
  readonly members: readonly Member[];
}

/** AddVoter's answer: a server that was not yet a voter enters as a nonvoter first. */
export interface AddVoterChange extends ConfigurationChange {
  /** The server is a nonvoter now; the leader promotes it once it has caught up. */
  readonly promotionPending: boolean;
}

/** The replicated configuration as this node knows it, with the leader flag set. */
export interface ClusterConfiguration {
  readonly index: number;
  readonly members: readonly ConfigurationMember[];
}

export interface ConfigurationMember extends Member {
  /** As this node knows it. */
  readonly leader: boolean;
}

/** hashicorp/raft's Stats() as a map (its key names) next to the same facts as typed fields. */
export interface ClusterStatus {
  readonly id: string;
  readonly clusterId: string;
  readonly state: EngineRole;
  /** "" when no leader is known. */
  readonly leaderId: string;
  readonly leaderClientAddress: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  readonly lastSnapshotIndex: number;
  /** Milliseconds since this node last heard from a leader: 0 on the leader, -1 when no leader is known. */
  readonly lastContactMs: number;
  readonly configuration: ClusterConfiguration;
  readonly stats: Readonly<Record<string, string>>;
}
