import { applyRefusalError } from "./apply-refusal.ts";
import { refuseIfOverQuota } from "./quota-check.ts";
import { create, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Applied, Engine } from "../engine/engine.ts";
import { CommandSchema } from "../gen/raftkv/v1/command_pb.ts";
import {
  Lease,
  LeaseGrantResponseSchema,
  LeaseKeepAliveResponseSchema,
  LeaseLeasesResponseSchema,
  LeaseRevokeResponseSchema,
  LeaseStatusSchema,
  LeaseTimeToLiveResponseSchema,
} from "../gen/raftkv/v1/lease_pb.ts";
import { toConnectError } from "./engine-error-to-connect.ts";
import { headerOf } from "./kv-service.ts";
import type { LeaderForwarder } from "./leader-forwarder.ts";
import type { LeaseKeeper } from "./lease-keeper.ts";
import { checkLeaseCount } from "./lease-count.ts";
import { defaultLimits, type Limits } from "./limits.ts";
import { validateLeaseId, validateLeaseTtl, validateRequiredLeaseId } from "./lease-validation.ts";
import { forwardable, leaderRefusal } from "./txn-proposal.ts";

/**
 * The Lease service. Grant and revoke are writes (a follower forwards them
 * like a Put); keep-alive and time-to-live are answered by the leader only,
 * because its clock decides expiry; the lease list is a linearizable read
 * any node serves.
 */
export function createLeaseService(
  engine: Engine,
  keeper: LeaseKeeper,
  forwarder?: LeaderForwarder,
  limits: Pick<Limits, "maxLeases"> = defaultLimits,
): ServiceImpl<typeof Lease> {
  const fsm = engine.stateMachine;

  /** Proposes a lease command; undefined when this node is not the leader and the caller should forward. */
  async function proposeLeaseCommand(command: Uint8Array, context: HandlerContext): Promise<Applied | undefined> {
    try {
      return await engine.propose(command, context.signal);
    } catch (error) {
      if (forwarder !== undefined && forwardable(error)) return undefined;
      throw toConnectError(error);
    }
  }

  /** Confirms this node leads and has applied every acknowledged write; throws what to tell the client otherwise. */
  async function leaderBarrier(context: HandlerContext): Promise<void> {
    try {
      await engine.readBarrier("linearizable", context.signal);
    } catch (error) {
      throw toConnectError(error);
    }
    const refusal = leaderRefusal(engine);
    if (refusal !== undefined) throw new ConnectError(`${refusal.message}: leadership moved during the call; retry`, Code.Unavailable);
  }

  function notLeader(): ConnectError {
    const status = engine.status();
    const leader = status.leaderId === "" ? "no leader is known" : `the leader is ${status.leaderId}`;
    return new ConnectError(`node ${status.id} is not the leader and cannot forward (${leader}); retry on the leader`, Code.Unavailable);
  }

  return {
    async leaseGrant(request, context) {
      const ttlSeconds = validateLeaseTtl("ttl_seconds", request.ttlSeconds);
      checkLeaseCount(fsm.leaseCount(), limits.maxLeases);
      const id = request.id === 0n ? unusedLeaseId(engine) : validateLeaseId("id", request.id);
      refuseIfOverQuota(fsm);
      const command = toBinary(
        CommandSchema,
        create(CommandSchema, { op: { case: "leaseGrant", value: { id: BigInt(id), ttlMs: BigInt(ttlSeconds * 1000) } } }),
      );
      const applied = await proposeLeaseCommand(command, context);
      if (applied === undefined) {
        const refusal = leaderRefusal(engine);
        if (forwarder === undefined || refusal === undefined) throw notLeader();
        return forwarder.forward(Lease, refusal, context, (lease, options) => lease.leaseGrant(request, options));
      }
      const result = applied.result;
      switch (result.kind) {
        case "leaseGrant":
          // Its window starts now, not at the keeper's next reconciliation.
          keeper.timer(result.id);
          return create(LeaseGrantResponseSchema, {
            header: headerOf(engine, applied.index),
            id: BigInt(result.id),
            ttlSeconds: BigInt(Math.round(result.ttlMs / 1000)),
          });
        case "error":
          // e.g. the id is already in use, or the store is over its quota: the same refusal on every replica.
          throw applyRefusalError(result);
        default:
          throw new ConnectError(`entry ${applied.index}: the state machine answered a lease grant with a ${result.kind} result`, Code.Internal);
      }
    },

    async leaseRevoke(request, context) {
      const id = validateRequiredLeaseId("id", request.id);
      const command = toBinary(CommandSchema, create(CommandSchema, { op: { case: "leaseRevoke", value: { id: BigInt(id) } } }));
      const applied = await proposeLeaseCommand(command, context);
      if (applied === undefined) {
        const refusal = leaderRefusal(engine);
        if (forwarder === undefined || refusal === undefined) throw notLeader();
        return forwarder.forward(Lease, refusal, context, (lease, options) => lease.leaseRevoke(request, options));
      }
      const result = applied.result;
      switch (result.kind) {
        case "leaseRevoke":
          return create(LeaseRevokeResponseSchema, { header: headerOf(engine, applied.index), deleted: BigInt(result.deleted) });
        case "error":
          if (fsm.lease(id) === undefined) throw new ConnectError(`lease ${id} not found (never granted, revoked or expired): ${result.message}`, Code.NotFound);
          throw new ConnectError(result.message, Code.FailedPrecondition);
        default:
          throw new ConnectError(`entry ${applied.index}: the state machine answered a lease revoke with a ${result.kind} result`, Code.Internal);
      }
    },

    async leaseKeepAlive(request, context) {
      const id = validateRequiredLeaseId("id", request.id);
      const refusal = leaderRefusal(engine);
      if (refusal !== undefined) {
        if (forwarder === undefined) throw notLeader();
        return forwarder.forward(Lease, refusal, context, (lease, options) => lease.leaseKeepAlive(request, options));
      }
      await leaderBarrier(context);
      const timer = keeper.keepAlive(id);
      switch (timer.kind) {
        case "live":
          return create(LeaseKeepAliveResponseSchema, {
            header: headerOf(engine, fsm.appliedIndex()),
            id: BigInt(id),
            ttlSeconds: BigInt(Math.round(timer.ttlMs / 1000)),
          });
        case "expired":
          throw new ConnectError(`lease ${id} has expired; its keys are being deleted; grant a new lease`, Code.NotFound);
        case "unknown":
          throw new ConnectError(`lease ${id} not found (never granted, revoked or expired)`, Code.NotFound);
        default: {
          const unreachable: never = timer;
          throw new Error(`unknown lease timer ${JSON.stringify(unreachable)}`);
        }
      }
    },

    async leaseTimeToLive(request, context) {
      const id = validateRequiredLeaseId("id", request.id);
      const refusal = leaderRefusal(engine);
      if (refusal !== undefined) {
        if (forwarder === undefined) throw notLeader();
        return forwarder.forward(Lease, refusal, context, (lease, options) => lease.leaseTimeToLive(request, options));
      }
      await leaderBarrier(context);
      const timer = keeper.timer(id);
      const header = headerOf(engine, fsm.appliedIndex());
      switch (timer.kind) {
        case "unknown":
          // etcd's answer for a lease that does not exist: TTL -1.
          return create(LeaseTimeToLiveResponseSchema, { header, id: BigInt(id), ttlSeconds: -1n });
        case "expired":
        case "live":
          return create(LeaseTimeToLiveResponseSchema, {
            header,
            id: BigInt(id),
            ttlSeconds: BigInt(timer.kind === "live" ? Math.ceil(timer.remainingMs / 1000) : 0),
            grantedTtlSeconds: BigInt(Math.round(timer.ttlMs / 1000)),
            keys: request.keys ? [...fsm.leaseKeys(id)] : [],
          });
        default: {
          const unreachable: never = timer;
          throw new Error(`unknown lease timer ${JSON.stringify(unreachable)}`);
        }
      }
    },

    async leaseLeases(_request, context) {
      try {
        await engine.readBarrier("linearizable", context.signal);
      } catch (error) {
        throw toConnectError(error);
      }
      const ids = fsm.leases().map((lease) => lease.id).sort((a, b) => a - b);
      return create(LeaseLeasesResponseSchema, {
        header: headerOf(engine, fsm.appliedIndex()),
        leases: ids.map((id) => create(LeaseStatusSchema, { id: BigInt(id) })),
      });
    },
  };
}

/**
 * A random id no applied lease uses. Random rather than sequential, so ids
 * chosen by different leaders (or by a follower before it forwards) do not
 * collide; a grant that still collides is refused by the state machine.
 */
function unusedLeaseId(engine: Engine): number {
  for (;;) {
    const id = 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
    if (engine.stateMachine.lease(id) === undefined) return id;
  }
}
