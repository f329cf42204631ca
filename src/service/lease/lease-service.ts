import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.ts";
import type { KvStoreView } from "../../fsm/kv-store-view.ts";
import {
  Lease,
  LeaseGrantResponseSchema,
  LeaseKeepAliveResponseSchema,
  LeaseLeasesResponseSchema,
  LeaseRevokeResponseSchema,
  LeaseStatusSchema,
  LeaseTimeToLiveResponseSchema,
} from "../../gen/raftkv/v1/lease_pb.ts";
import { defaultLimits, type Limits } from "../limits.ts";
import { readBarrier } from "../read-barrier.ts";
import { headerOf } from "../response-messages.ts";
import { type LeaderForwarder, leaderRefusal, refuseIfOverQuota, WritePath } from "../write/index.ts";
import { checkLeaseCount } from "./lease-count.ts";
import type { LeaseKeeper } from "./lease-keeper.ts";
import { validateLeaseId, validateLeaseTtl, validateRequiredLeaseId } from "./lease-validation.ts";

/**
 * The Lease service. Grant and revoke are writes (a follower forwards them
 * like a Put); keep-alive and time-to-live are answered by the leader only,
 * because its clock decides expiry; the lease list is a linearizable read
 * any node serves.
 */
export function createLeaseService(
  engine: Engine,
  keeper: LeaseKeeper,
  forwarder: LeaderForwarder,
  limits: Pick<Limits, "maxLeases"> = defaultLimits,
): ServiceImpl<typeof Lease> {
  const fsm = engine.stateMachine;
  const writes = new WritePath(Lease, engine, forwarder);

  /** Confirms this node leads and has applied every acknowledged write; throws what to tell the client otherwise. */
  async function leaderBarrier(context: HandlerContext): Promise<void> {
    await readBarrier(engine, "linearizable", context.signal);
    const refusal = leaderRefusal(engine);
    if (refusal !== undefined) throw new ConnectError(`${refusal.message}: leadership moved during the call; retry`, Code.Unavailable);
  }

  return {
    async leaseGrant(request, context) {
      const ttlSeconds = validateLeaseTtl("ttl_seconds", request.ttlSeconds);
      checkLeaseCount(fsm.leaseCount(), limits.maxLeases);
      const id = request.id === 0n ? unusedLeaseId(fsm) : validateLeaseId("id", request.id);
      refuseIfOverQuota(fsm);
      return writes.propose(context, {
        op: { case: "leaseGrant", value: { id: BigInt(id), ttlMs: BigInt(ttlSeconds * 1000) } },
        onLeader: (lease, options) => lease.leaseGrant(request, options),
        answer: ({ index, result }) => {
          // Its window starts now, not at the keeper's next reconciliation.
          keeper.timer(result.id);
          return create(LeaseGrantResponseSchema, {
            header: headerOf(engine, index),
            id: BigInt(result.id),
            ttlSeconds: BigInt(Math.round(result.ttlMs / 1000)),
          });
        },
        // e.g. the id is already in use, or the store is over its quota (the default): the same refusal on every replica.
      });
    },

    async leaseRevoke(request, context) {
      const id = validateRequiredLeaseId("id", request.id);
      return writes.propose(context, {
        op: { case: "leaseRevoke", value: { id: BigInt(id) } },
        onLeader: (lease, options) => lease.leaseRevoke(request, options),
        answer: ({ index, result }) => create(LeaseRevokeResponseSchema, { header: headerOf(engine, index), deleted: BigInt(result.deleted) }),
        refused: (refusal) =>
          fsm.lease(id) === undefined
            ? new ConnectError(`lease ${id} not found (never granted, revoked or expired): ${refusal.message}`, Code.NotFound)
            : new ConnectError(refusal.message, Code.FailedPrecondition),
      });
    },

    async leaseKeepAlive(request, context) {
      const id = validateRequiredLeaseId("id", request.id);
      return writes.leaderOnly(
        context,
        (lease, options) => lease.leaseKeepAlive(request, options),
        async () => {
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
      );
    },

    async leaseTimeToLive(request, context) {
      const id = validateRequiredLeaseId("id", request.id);
      return writes.leaderOnly(
        context,
        (lease, options) => lease.leaseTimeToLive(request, options),
        async () => {
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
      );
    },

    async leaseLeases(_request, context) {
      await readBarrier(engine, "linearizable", context.signal);
      const ids = fsm
        .leases()
        .map((lease) => lease.id)
        .sort((a, b) => a - b);
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
function unusedLeaseId(store: KvStoreView): number {
  for (;;) {
    const id = 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
    if (store.lease(id) === undefined) return id;
  }
}
