import { Code, ConnectError, createClient, type Client, type HandlerContext } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  KV,
  type DeleteRequest,
  type DeleteResponse,
  type PutRequest,
  type PutResponse,
} from "../gen/raftkv/v1/kv_pb.ts";
import type { RaftNotLeaderError } from "../engine/raft-not-leader-error.ts";

/** Marks a forwarded call, so a node that is not the leader either never forwards it again (no loops). */
export const FORWARDED_HEADER = "raftkv-forwarded-by";

/** Used when the incoming call has no deadline of its own. */
const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;

/**
 * Sends a write that reached a follower to the leader's client address (as
 * the replicated configuration records it) over gRPC, and hands back the
 * leader's answer as if the client had asked the leader. Only writes that
 * never entered a log are forwarded (RaftNotLeaderError.proposed false), so a
 * forward can never apply a write twice.
 */
export class LeaderForwarder {
  private readonly clients = new Map<string, Client<typeof KV>>();

  constructor(private readonly selfId: string) {}

  put(request: PutRequest, refusal: RaftNotLeaderError, context: HandlerContext): Promise<PutResponse> {
    return this.forward(refusal, context, (client, options) => client.put(request, options));
  }

  delete(request: DeleteRequest, refusal: RaftNotLeaderError, context: HandlerContext): Promise<DeleteResponse> {
    return this.forward(refusal, context, (client, options) => client.delete(request, options));
  }

  private async forward<T>(
    refusal: RaftNotLeaderError,
    context: HandlerContext,
    call: (client: Client<typeof KV>, options: { signal: AbortSignal; timeoutMs: number; headers: Headers }) => Promise<T>,
  ): Promise<T> {
    const forwardedBy = context.requestHeader.get(FORWARDED_HEADER);
    if (forwardedBy !== null) {
      throw new ConnectError(
        `${refusal.message}; the write was already forwarded here by ${forwardedBy} and is not forwarded twice`,
        Code.Unavailable,
      );
    }
    if (refusal.leaderId === "" || refusal.leaderClientAddress === "") {
      const why = refusal.leaderId === "" ? "no leader is known (election in progress or no quorum)" : `the client address of leader ${refusal.leaderId} is not known yet`;
      throw new ConnectError(`node ${this.selfId} cannot forward the write: ${why}; retry shortly`, Code.Unavailable);
    }
    const client = this.clientFor(refusal.leaderClientAddress);
    const timeoutMs = context.timeoutMs() ?? DEFAULT_FORWARD_TIMEOUT_MS;
    try {
      return await call(client, { signal: context.signal, timeoutMs, headers: new Headers({ [FORWARDED_HEADER]: this.selfId }) });
    } catch (error) {
      const cause = ConnectError.from(error);
      if (cause.code === Code.Unavailable) {
        // Unreachable, or no longer the leader: either way the client should retry, told where it went wrong.
        throw new ConnectError(
          `node ${this.selfId} forwarded the write to leader ${refusal.leaderId} at ${refusal.leaderClientAddress}: ${cause.rawMessage}`,
          Code.Unavailable,
          undefined,
          undefined,
          cause,
        );
      }
      // The leader's own answer (validation, deadline, ...): passed on unchanged.
      throw cause;
    }
  }

  private clientFor(address: string): Client<typeof KV> {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = createClient(KV, createGrpcTransport({ baseUrl: `http://${address}`, acceptCompression: [] }));
      this.clients.set(address, client);
    }
    return client;
  }
}
