import { type Member, type StatusResponse, Suffrage } from "../../../src/gen/raftkv/v1/cluster_pb.ts";
import { type NodeFigures, nodeFigures } from "../metrics/node-figures.ts";

/** What the console knows of one member's own Status: its answer, or why there is none. */
export type MemberStatus =
  | { readonly kind: "answered"; readonly status: StatusResponse }
  | { readonly kind: "unreachable"; readonly error: string }
  | { readonly kind: "pending" };

/** One line of the cluster table. */
export interface MemberRow {
  readonly id: string;
  readonly clientAddress: string;
  readonly raftAddress: string;
  readonly suffrage: "voter" | "nonvoter";
  readonly leader: boolean;
  /** The node that served this page. */
  readonly serving: boolean;
  readonly status: MemberStatus;
  /** From the member's own Status; undefined when it could not be asked. */
  readonly state: string | undefined;
  readonly term: bigint | undefined;
  readonly figures: NodeFigures | undefined;
  readonly lastContactMs: bigint | undefined;
  /** Entries behind the highest commit index any member reported (leader's, when it answered). */
  readonly lag: bigint | undefined;
}

/**
 * Joins the configuration (who the members are, as the serving node knows
 * it) with each member's own Status, and works out the lag. The leader is
 * the one the serving node names; a member's own word on its role is shown
 * beside it, so a disagreement (a partitioned old leader) is visible.
 */
export function memberRows(members: readonly Member[], leaderId: string, servingId: string, statuses: ReadonlyMap<string, MemberStatus>): MemberRow[] {
  const answered = [...statuses.values()].flatMap((s) => (s.kind === "answered" ? [s.status] : []));
  const leaderStatus = answered.find((s) => s.id === leaderId && s.state === "leader");
  // biome-ignore lint/complexity/useMathMinMax: commit indexes are bigints, which Math.max does not take
  const reference = leaderStatus?.commitIndex ?? answered.reduce((max, s) => (s.commitIndex > max ? s.commitIndex : max), 0n);
  return members.map((member) => {
    const status = statuses.get(member.id) ?? { kind: "pending" };
    const own = status.kind === "answered" ? status.status : undefined;
    const lag = own === undefined ? undefined : reference > own.appliedIndex ? reference - own.appliedIndex : 0n;
    return {
      id: member.id,
      clientAddress: member.clientAddress,
      raftAddress: member.raftAddress,
      suffrage: member.suffrage === Suffrage.NONVOTER ? "nonvoter" : "voter",
      leader: member.id === leaderId,
      serving: member.id === servingId,
      status,
      state: own?.state,
      term: own?.term,
      figures: own === undefined ? undefined : nodeFigures(own),
      lastContactMs: own?.lastContactMs,
      lag,
    };
  });
}
