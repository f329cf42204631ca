import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Cluster as ClusterService } from "../../src/gen/raftkv/v1/cluster_pb.ts";

export type ClusterAdmin = Client<typeof ClusterService>;

/** A client of the Cluster (membership and operations) service on one node. */
export function connectAdmin(endpoint: string): ClusterAdmin {
  return createClient(ClusterService, createGrpcTransport({ baseUrl: `http://${endpoint}` }));
}

/**
 * Whether the node serves the Cluster service at all: until it is
 * registered, calls answer Unimplemented and the membership faults are left
 * out of the schedule (reported, not faked).
 */
export async function clusterServiceAvailable(endpoint: string): Promise<boolean> {
  try {
    await connectAdmin(endpoint).getConfiguration({}, { timeoutMs: 2_000 });
    return true;
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.Unimplemented) return false;
    // Any other answer means the service exists but could not answer right now.
    return true;
  }
}
