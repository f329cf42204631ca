import type { Client } from "@connectrpc/connect";
import type { Cluster } from "../../../src/gen/raftkv/v1/cluster_pb.ts";
import type { ConfirmRequest } from "../ui/confirm-dialog.tsx";
import type { MemberRow } from "./member-rows.ts";

/** Admin calls may wait for a log entry to commit or a transfer to finish: give them the server's own time. */
const adminTimeoutMs = 20_000;

/**
 * The confirmations for each admin action: what will happen, in words, and
 * the call. Membership changes carry the configuration index the operator
 * was looking at (hashicorp's prev_index guard), so a change made by someone
 * else in between makes the server refuse rather than act on a stale view.
 */
export function transferRequest(cluster: Client<typeof Cluster>, target: MemberRow | undefined): ConfirmRequest {
  return {
    title: target === undefined ? "Transfer leadership" : `Make ${target.id} the leader`,
    detail:
      target === undefined ? (
        <p>The leader hands leadership to the most up-to-date voter. Writes pause for a moment during the handover.</p>
      ) : (
        <p>
          The leader hands leadership to <b>{target.id}</b> once it has caught up. Writes pause for a moment during the handover.
        </p>
      ),
    confirmLabel: "Transfer",
    run: async () => {
      const answer = await cluster.transferLeadership({ id: target?.id ?? "" }, { timeoutMs: adminTimeoutMs });
      return `leadership transferred: ${answer.newLeaderId} leads now`;
    },
  };
}

export function demoteRequest(cluster: Client<typeof Cluster>, member: MemberRow, prevIndex: bigint): ConfirmRequest {
  return {
    title: `Demote ${member.id}`,
    detail: (
      <p>
        <b>{member.id}</b> becomes a nonvoter: it keeps receiving the log but no longer votes or counts toward a quorum
        {member.leader ? " (as the leader, it hands leadership over first)" : ""}. Refused if the configuration changed since index {String(prevIndex)}.
      </p>
    ),
    confirmLabel: "Demote",
    run: async () => {
      const answer = await cluster.demoteVoter({ id: member.id, prevIndex }, { timeoutMs: adminTimeoutMs });
      return `${member.id} demoted to nonvoter (configuration index ${answer.index})`;
    },
  };
}

export function removeRequest(cluster: Client<typeof Cluster>, member: MemberRow, prevIndex: bigint): ConfirmRequest {
  return {
    title: `Remove ${member.id}`,
    detail: (
      <p>
        <b>{member.id}</b> ({member.clientAddress || member.raftAddress}) leaves the cluster configuration
        {member.leader ? "; as the leader, it hands leadership over first" : ""}. Its data dir stays as it is. Refused if the configuration changed since index{" "}
        {String(prevIndex)}.
      </p>
    ),
    confirmLabel: "Remove",
    run: async () => {
      const answer = await cluster.removeServer({ id: member.id, prevIndex }, { timeoutMs: adminTimeoutMs });
      return `${member.id} removed (configuration index ${answer.index})`;
    },
  };
}

export function snapshotRequest(cluster: Client<typeof Cluster>, member: MemberRow): ConfirmRequest {
  return {
    title: `Snapshot ${member.id}`,
    detail: <p>{member.id} writes a snapshot of its state machine now and compacts its log behind it.</p>,
    confirmLabel: "Take snapshot",
    run: async () => {
      const answer = await cluster.snapshot({}, { timeoutMs: adminTimeoutMs });
      return `snapshot on ${member.id} covers index ${answer.index}`;
    },
  };
}

export interface NewMember {
  readonly id: string;
  readonly raftAddress: string;
  readonly clientAddress: string;
  readonly voter: boolean;
}

export function addRequest(cluster: Client<typeof Cluster>, member: NewMember, prevIndex: bigint): ConfirmRequest {
  return {
    title: `Add ${member.id}`,
    detail: (
      <p>
        <b>{member.id}</b> (raft {member.raftAddress}
        {member.clientAddress === "" ? "" : `, client ${member.clientAddress}`}) joins as a{" "}
        {member.voter ? "voter: it enters as a nonvoter and is promoted once it has caught up" : "nonvoter"}. Refused if the configuration changed since index{" "}
        {String(prevIndex)}.
      </p>
    ),
    confirmLabel: "Add",
    run: async () => {
      const request = { id: member.id, raftAddress: member.raftAddress, clientAddress: member.clientAddress, prevIndex };
      if (!member.voter) {
        const answer = await cluster.addNonvoter(request, { timeoutMs: adminTimeoutMs });
        return `${member.id} added as a nonvoter (configuration index ${answer.index})`;
      }
      const answer = await cluster.addVoter(request, { timeoutMs: adminTimeoutMs });
      const pending = answer.promotionPending ? "; it is a nonvoter until it catches up, then promoted" : "";
      return `${member.id} added as a voter (configuration index ${answer.index})${pending}`;
    },
  };
}
