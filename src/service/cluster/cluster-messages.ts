import { create } from "@bufbuild/protobuf";
import type { ClusterStatus } from "../../engine/admin-types.ts";
import { type Member, MemberSchema, type StatusResponse, StatusResponseSchema, Suffrage } from "../../gen/raftkv/v1/cluster_pb.ts";
import type { ResponseHeader } from "../../gen/raftkv/v1/kv_pb.ts";
import type { Member as RaftMember } from "../../raft/membership.ts";

export function memberMessage(member: RaftMember, leaderId: string): Member {
  return create(MemberSchema, {
    id: member.id,
    raftAddress: member.raftAddress,
    clientAddress: member.clientAddress,
    suffrage: member.suffrage === "voter" ? Suffrage.VOTER : Suffrage.NONVOTER,
    leader: member.id === leaderId,
    incarnation: member.incarnation ?? "",
  });
}

export function memberMessages(members: readonly RaftMember[], leaderId: string): Member[] {
  return members.map((m) => memberMessage(m, leaderId));
}

export function statusMessage(status: ClusterStatus, header: ResponseHeader): StatusResponse {
  return create(StatusResponseSchema, {
    header,
    id: status.id,
    state: status.state,
    leaderId: status.leaderId,
    leaderClientAddress: status.leaderClientAddress,
    term: BigInt(status.term),
    commitIndex: BigInt(status.commitIndex),
    appliedIndex: BigInt(status.appliedIndex),
    lastLogIndex: BigInt(status.lastLogIndex),
    lastLogTerm: BigInt(status.lastLogTerm),
    lastSnapshotIndex: BigInt(status.lastSnapshotIndex),
    lastContactMs: BigInt(status.lastContactMs),
    configurationIndex: BigInt(status.configuration.index),
    members: memberMessages(status.configuration.members, status.leaderId),
    stats: { ...status.stats },
  });
}
