import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Maintenance } from "../../src/gen/etcd/etcdserverpb/rpc_pb.ts";
import { Cluster } from "../../src/gen/raftkv/v1/cluster_pb.ts";

/**
 * The harness sends all load to one member. Both systems get it as their
 * leader, so neither pays a follower-to-leader hop (etcd forwards over its
 * peer channel, raftkv with a gRPC call): the figures compare the leader
 * paths, as the raftkv client library (leader discovery) and etcd's own
 * benchmark tool would drive them.
 */
const ATTEMPTS = 40;

/** How the harness reaches a TLS or token-protected cluster; nothing for a cleartext one. */
export interface HarnessAccess {
  /** PEM of the CA that signed the servers' certificates: https with it. */
  readonly ca?: string;
  readonly token?: string;
}

function grpc(endpoint: string, access: HarnessAccess = {}) {
  return createGrpcTransport({
    baseUrl: `${access.ca === undefined ? "http" : "https"}://${endpoint}`,
    acceptCompression: [],
    ...(access.ca === undefined ? {} : { nodeOptions: { ca: access.ca } }),
    ...(access.token === undefined
      ? {}
      : {
          interceptors: [
            (next) => (request) => {
              request.header.set("authorization", `Bearer ${access.token ?? ""}`);
              return next(request);
            },
          ],
        }),
  });
}

/** Makes raftkv member `id` (reached at `endpoint`) the leader; a follower forwards the request. */
export async function moveRaftkvLeadership(endpoint: string, id: string, access: HarnessAccess = {}): Promise<void> {
  const cluster = createClient(Cluster, grpc(endpoint, access));
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const status = await cluster.status({}, { timeoutMs: 2000 });
      if (status.state === "leader") return;
      await cluster.transferLeadership({ id }, { timeoutMs: 5000 });
    } catch (error) {
      last = error;
    }
    await Bun.sleep(250);
  }
  throw new Error(`raftkv: could not make ${id} the leader: ${String(last)}`);
}

/** Makes the etcd member at `target` the leader (MoveLeader must be sent to the current leader). */
export async function moveEtcdLeadership(target: string, all: readonly string[], access: HarnessAccess = {}): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const targetStatus = await createClient(Maintenance, grpc(target, access)).status({}, { timeoutMs: 2000 });
      const targetId = targetStatus.header?.memberId ?? 0n;
      if (targetStatus.leader === targetId && targetId !== 0n) return;
      for (const endpoint of all) {
        const maintenance = createClient(Maintenance, grpc(endpoint, access));
        const status = await maintenance.status({}, { timeoutMs: 2000 });
        if (status.header?.memberId === status.leader) await maintenance.moveLeader({ targetID: targetId }, { timeoutMs: 5000 });
      }
    } catch (error) {
      last = error;
    }
    await Bun.sleep(250);
  }
  throw new Error(`etcd: could not make the member at ${target} the leader: ${String(last)}`);
}
