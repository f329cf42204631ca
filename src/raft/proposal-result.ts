/** Why the core refused a proposal, read, membership change or transfer. */
export type RefusalKind =
  | "notLeader"
  | "transferInProgress"
  | "configChangePending"
  | "configIndexMismatch"
  | "leaderNotReady"
  | "invalidChange"
  | "unknownServer"
  /** The new configuration's voters that are in contact would not make a quorum (etcd's strict reconfiguration check). */
  | "quorumAtRisk"
  | "noLeader";

export interface Refusal {
  readonly kind: RefusalKind;
  readonly message: string;
  /** Known leader id ("" when none), so callers can redirect. */
  readonly leader: string;
}

/** An accepted proposal lands at (index, term); it took effect iff that entry is applied with that term. */
export type ProposalResult = { readonly ok: true; readonly index: number; readonly term: number } | { readonly ok: false; readonly refusal: Refusal };

export type AcceptResult = { readonly ok: true } | { readonly ok: false; readonly refusal: Refusal };
