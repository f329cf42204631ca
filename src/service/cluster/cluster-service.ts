import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { RaftAdmin } from "../../engine/admin.ts";
import type { ConfigurationChange } from "../../engine/admin-types.ts";
import { RaftNotLeaderError } from "../../engine/not-leader-error.ts";
import {
  AddNonvoterResponseSchema,
  AddVoterResponseSchema,
  BarrierResponseSchema,
  Cluster,
  DemoteVoterResponseSchema,
  GetConfigurationResponseSchema,
  RemoveServerResponseSchema,
  SnapshotResponseSchema,
  type StatusResponse,
  TransferLeadershipResponseSchema,
  VerifyLeaderResponseSchema,
} from "../../gen/raftkv/v1/cluster_pb.ts";
import { toConnectError } from "../engine-error-to-connect.ts";
import { responseHeader } from "../response-messages.ts";
import { invalidArgument } from "../validation.ts";
import { type LeaderCall, type LeaderForwarder, type WriteEngine, WritePath } from "../write/index.ts";
import { memberMessages, statusMessage } from "./cluster-messages.ts";

/** What the Cluster service needs from the engine: its admin calls, and what a write needs (see WritePath). */
export interface ClusterEngine extends WriteEngine {
  readonly admin: RaftAdmin;
}

const MAX_ID_BYTES = 256;

/** The fields every membership-change response shares. */
function changeFields(engine: ClusterEngine, done: ConfigurationChange) {
  const status = engine.status();
  return {
    header: responseHeader(status, done.index),
    index: BigInt(done.index),
    members: memberMessages(done.members, status.leaderId),
  };
}
const MAX_ADDRESS_BYTES = 1024;

function validateId(field: string, id: string): string {
  const trimmed = id.trim();
  if (trimmed === "") throw invalidArgument(field, "must not be empty");
  if (new TextEncoder().encode(trimmed).length > MAX_ID_BYTES) throw invalidArgument(field, `is over the limit of ${MAX_ID_BYTES} bytes`);
  return trimmed;
}

function validateAddress(field: string, address: string, required: boolean): string {
  const trimmed = address.trim();
  if (trimmed === "") {
    if (required) throw invalidArgument(field, "must not be empty (host:port)");
    return "";
  }
  if (trimmed.length > MAX_ADDRESS_BYTES) throw invalidArgument(field, `is over the limit of ${MAX_ADDRESS_BYTES} bytes`);
  const at = trimmed.lastIndexOf(":");
  const port = Number(trimmed.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw invalidArgument(field, `expected host:port, got ${JSON.stringify(trimmed)}`);
  }
  return trimmed;
}

/** An incarnation is the random id a data dir made for itself: short, printable, no spaces. */
function validateIncarnation(incarnation: string): string {
  if (incarnation === "") return "";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(incarnation)) throw invalidArgument("incarnation", "must be 1 to 64 letters, digits, '-' or '_'");
  return incarnation;
}

function prevIndexOf(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument("prev_index", `is ${value}, over ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}

/**
 * The raftkv.v1.Cluster service (hashicorp raft-manager's capabilities).
 * Membership changes, transfers and barriers run on the leader: a follower
 * that is refused before anything was proposed forwards the call to the
 * leader and answers with the leader's answer. Status, GetConfiguration,
 * Snapshot and VerifyLeader answer for the node asked.
 */
export function createClusterService(
  engine: ClusterEngine,
  forwarder: LeaderForwarder,
  /** Adds the node's operator facts (database size, quota, alarm, fsync p99, build) to a Status answer. */
  completeStatus?: (response: StatusResponse) => void,
): ServiceImpl<typeof Cluster> {
  const admin = engine.admin;

  const writes = new WritePath(Cluster, engine, forwarder);

  /**
   * Demote and remove: a leader asked to do either to itself hands leadership
   * over first and refuses as a follower would, so the call goes on to the new leader.
   */
  function selfRemovable<T>(
    request: { readonly id: string; readonly prevIndex: bigint },
    context: HandlerContext,
    change: (id: string, prevIndex: number) => Promise<ConfigurationChange>,
    respond: (done: ConfigurationChange) => T,
    call: LeaderCall<typeof Cluster, T>,
  ): Promise<T> {
    const id = validateId("id", request.id);
    const prevIndex = prevIndexOf(request.prevIndex);
    return writes.runOrForward(context, call, async () => respond(await change(id, prevIndex)));
  }

  /** AddVoter and AddNonvoter carry the same fields and are checked the same way. */
  function validatedMemberToAdd(request: { id: string; raftAddress: string; clientAddress: string; prevIndex: bigint; incarnation: string }) {
    return {
      id: validateId("id", request.id),
      raftAddress: validateAddress("raft_address", request.raftAddress, true),
      clientAddress: validateAddress("client_address", request.clientAddress, false),
      prevIndex: prevIndexOf(request.prevIndex),
      incarnation: validateIncarnation(request.incarnation),
    };
  }

  return {
    status() {
      const status = admin.status();
      const response = statusMessage(status, responseHeader(engine.status(), status.appliedIndex));
      completeStatus?.(response);
      return response;
    },

    getConfiguration() {
      const configuration = admin.configuration();
      const status = engine.status();
      return create(GetConfigurationResponseSchema, {
        header: responseHeader(status, configuration.index),
        index: BigInt(configuration.index),
        members: memberMessages(configuration.members, status.leaderId),
      });
    },

    async addVoter(request, context) {
      const { id, raftAddress, clientAddress, prevIndex, incarnation } = validatedMemberToAdd(request);
      return writes.runOrForward(
        context,
        (c, options) => c.addVoter(request, options),
        async () => {
          const done = await admin.addVoter(id, raftAddress, clientAddress, prevIndex, context.signal, incarnation);
          return create(AddVoterResponseSchema, { ...changeFields(engine, done), promotionPending: done.promotionPending });
        },
      );
    },

    async addNonvoter(request, context) {
      const { id, raftAddress, clientAddress, prevIndex, incarnation } = validatedMemberToAdd(request);
      return writes.runOrForward(
        context,
        (c, options) => c.addNonvoter(request, options),
        async () => {
          const done = await admin.addNonvoter(id, raftAddress, clientAddress, prevIndex, context.signal, incarnation);
          return create(AddNonvoterResponseSchema, changeFields(engine, done));
        },
      );
    },

    async demoteVoter(request, context) {
      return selfRemovable(
        request,
        context,
        (id, prevIndex) => admin.demoteVoter(id, prevIndex, context.signal),
        (done) => create(DemoteVoterResponseSchema, changeFields(engine, done)),
        (c, options) => c.demoteVoter(request, options),
      );
    },

    async removeServer(request, context) {
      return selfRemovable(
        request,
        context,
        (id, prevIndex) => admin.removeServer(id, prevIndex, context.signal),
        (done) => create(RemoveServerResponseSchema, changeFields(engine, done)),
        (c, options) => c.removeServer(request, options),
      );
    },

    async transferLeadership(request, context) {
      const target = request.id.trim();
      return writes.runOrForward(
        context,
        (c, options) => c.transferLeadership(request, options),
        async () => {
          const newLeader = await admin.transferLeadership(target === "" ? undefined : target, context.signal);
          const status = engine.status();
          return create(TransferLeadershipResponseSchema, { header: responseHeader(status, status.appliedIndex), newLeaderId: newLeader });
        },
      );
    },

    async barrier(request, context) {
      return writes.runOrForward(
        context,
        (c, options) => c.barrier(request, options),
        async () => {
          const index = await admin.barrier(context.signal);
          return create(BarrierResponseSchema, { header: responseHeader(engine.status(), index), index: BigInt(index) });
        },
      );
    },

    async snapshot() {
      try {
        const index = await admin.snapshotNow();
        return create(SnapshotResponseSchema, { header: responseHeader(engine.status(), index), index: BigInt(index) });
      } catch (error) {
        throw toConnectError(error);
      }
    },

    async verifyLeader(_request, context) {
      try {
        await admin.verifyLeader(context.signal);
      } catch (error) {
        // Answered for the node asked: "not the leader" is the answer, not a reason to retry elsewhere.
        if (error instanceof RaftNotLeaderError) throw new ConnectError(error.message, Code.FailedPrecondition, undefined, undefined, error);
        throw toConnectError(error);
      }
      const status = engine.status();
      return create(VerifyLeaderResponseSchema, { header: responseHeader(status, status.commitIndex) });
    },
  };
}
