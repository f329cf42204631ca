import type { EngineStatus } from "../engine/engine.ts";
import type { ProbeResult } from "./storage-probe.ts";

/** What readiness is decided from (the node provides it from its engine and data dir). */
export interface ReadinessSources {
  /** Set once the engine stopped on a storage failure. */
  failure(): Error | undefined;
  shuttingDown(): boolean;
  status(): EngineStatus;
  /** Follower: ms since it last heard from the leader (-1: never). */
  lastLeaderContactMs(): number;
  /** Leader: how many voters (itself included) answered within `withinMs`, of how many. */
  votersInContact(withinMs: number): { readonly inContact: number; readonly voters: number };
  storage(): ProbeResult;
}

export interface ReadinessOptions {
  /** A leader heard from (or a quorum answering) within this is current (the election timeout). */
  readonly contactMs: number;
  /** Committed entries not yet applied that a ready node may have (default 1000). */
  readonly maxApplyLagEntries?: number;
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** Why not, in one sentence (empty when ready). */
  readonly reason: string;
  readonly id: string;
  readonly role: string;
  readonly leader: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

/**
 * Ready means this node can serve a linearizable read now: it knows a
 * leader that a quorum follows (a leader counts the voters that answered
 * within an election timeout; a follower must have heard from its leader
 * within one), it has applied what it knows committed (within a bound), and
 * its data dir takes writes. A failed engine or a node shutting down is
 * never ready. The first failing check is the reason.
 */
export function evaluateReadiness(sources: ReadinessSources, options: ReadinessOptions): ReadinessReport {
  const status = sources.status();
  const base = {
    id: status.id,
    role: status.role,
    leader: status.leaderId,
    term: status.term,
    commitIndex: status.commitIndex,
    appliedIndex: status.appliedIndex,
  };
  const notReady = (reason: string): ReadinessReport => ({ ready: false, reason, ...base });
  const failure = sources.failure();
  if (failure !== undefined) return notReady(`the engine stopped after a storage failure: ${failure.message}`);
  if (sources.shuttingDown() || status.role === "shutdown") return notReady("the node is shutting down");
  if (status.leaderId === "") return notReady(`no leader is known (this node is a ${status.role}; an election is under way or no quorum is reachable)`);
  if (status.role === "leader") {
    const { inContact, voters } = sources.votersInContact(options.contactMs);
    const quorum = Math.floor(voters / 2) + 1;
    if (inContact < quorum) {
      return notReady(`this leader heard from ${inContact} of ${voters} voters within ${options.contactMs} ms; a quorum is ${quorum}`);
    }
  } else {
    const contact = sources.lastLeaderContactMs();
    if (contact < 0 || contact > options.contactMs) {
      return notReady(`leader ${status.leaderId} was last heard from ${contact < 0 ? "never" : `${contact} ms ago`}, over ${options.contactMs} ms`);
    }
  }
  const maxLag = options.maxApplyLagEntries ?? 1000;
  const lag = status.commitIndex - status.appliedIndex;
  if (lag > maxLag)
    return notReady(`${lag} committed entries are not applied yet (commit index ${status.commitIndex}, applied ${status.appliedIndex}; at most ${maxLag})`);
  const storage = sources.storage();
  if (!storage.ok) return notReady(storage.error);
  return { ready: true, reason: "", ...base };
}
