import type { DescService } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient, type HandlerContext, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { ClientTlsOptions } from "../../client/client-tls.ts";
import type { RaftNotLeaderError } from "../../engine/not-leader-error.ts";
import { FORWARDED_IDENTITY_HEADER, principalKey } from "../auth/index.ts";
import { NOT_PROPOSED_HEADER, notProposedMetadata } from "../not-proposed.ts";

/**
 * How this node dials other members' client ports: cleartext, or TLS with
 * these options. Asked per forward; `version` changes when certificates were
 * reloaded, so connections made from then on use the new files.
 */
export interface MemberDial {
  current(): { readonly version: string; readonly tls: ClientTlsOptions | undefined };
}

const cleartext: MemberDial = { current: () => ({ version: "cleartext", tls: undefined }) };

/**
 * The ids of the nodes that forwarded a call, in order ("n1,n3"). A node
 * that finds itself in the list, or a list MAX_FORWARD_HOPS long, refuses
 * instead of forwarding: no loops, and a bounded path while views of the
 * leader settle after a change (a follower that has not yet heard of the new
 * leader forwards to the old one, which knows better and sends it on).
 */
export const FORWARDED_HEADER = "raftkv-forwarded-by";

/** How many nodes may forward one call before a node refuses it. */
export const MAX_FORWARD_HOPS = 3;

function forwardedBy(context: HandlerContext): string[] {
  const value = context.requestHeader.get(FORWARDED_HEADER);
  if (value === null) return [];
  return value
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
}

/** True when some cause of `error` is a refused TCP connection: the request never left this node. */
function connectionRefused(error: unknown): boolean {
  let link: unknown = error;
  for (let depth = 0; link instanceof Error && depth < 16; depth++) {
    if ((link as { code?: unknown }).code === "ECONNREFUSED") return true;
    link = link.cause;
  }
  return false;
}

/**
 * What the leader needs to judge the call as the original caller's: the hop
 * list, and the caller's credentials. A token is passed on as it came, so the
 * leader authenticates and authorizes it again; a caller known by its client
 * certificate is named in FORWARDED_IDENTITY_HEADER, which the leader accepts
 * only from a member's certificate, and then checks that name's roles itself.
 */
function forwardedHeaders(context: HandlerContext, path: readonly string[]): Headers {
  const headers = new Headers({ [FORWARDED_HEADER]: path.join(",") });
  const authorization = context.requestHeader.get("authorization");
  const principal = context.values.get(principalKey);
  if (authorization !== null) headers.set("authorization", authorization);
  else if (principal !== undefined && principal.via === "certificate") headers.set(FORWARDED_IDENTITY_HEADER, principal.name);
  return headers;
}

/** Used when the incoming call has no deadline of its own. */
const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;

/** What a forwarded call passes to the leader's client method. */
export interface ForwardOptions {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly headers: Headers;
}

/**
 * Sends a write that reached a follower to the leader's client address (as
 * the replicated configuration records it) over gRPC, and hands back the
 * leader's answer as if the client had asked the leader. Only writes that
 * never entered a log are forwarded (RaftNotLeaderError.proposed false), so a
 * forward can never apply a write twice.
 */
export class LeaderForwarder {
  private readonly transports = new Map<string, Transport>();
  private readonly clients = new Map<string, Client<DescService>>();
  private dialVersion = "";

  constructor(
    private readonly selfId: string,
    private readonly dial: MemberDial = cleartext,
  ) {}

  /**
   * Calls `call` on a client of `service` at the leader's address, e.g.
   * `forward(KV, refusal, context, (kv, options) => kv.put(request, options))`.
   */
  async forward<S extends DescService, T>(
    service: S,
    refusal: RaftNotLeaderError,
    context: HandlerContext,
    call: (client: Client<S>, options: ForwardOptions) => Promise<T>,
  ): Promise<T> {
    const path = forwardedBy(context);
    if (path.includes(this.selfId) || path.length >= MAX_FORWARD_HOPS) {
      const why = path.includes(this.selfId) ? "it came back to this node" : `${path.length} nodes forwarded it already`;
      throw new ConnectError(
        `${refusal.message}; the write was forwarded here by ${path.join(" → ")} and is not forwarded again (${why}); retry shortly`,
        Code.Unavailable,
        notProposedMetadata(),
      );
    }
    if (refusal.leaderId === "" || refusal.leaderClientAddress === "") {
      const why =
        refusal.leaderId === ""
          ? "no leader is known (election in progress or no quorum)"
          : `the client address of leader ${refusal.leaderId} is not known yet`;
      throw new ConnectError(`node ${this.selfId} cannot forward the write: ${why}; retry shortly`, Code.Unavailable, notProposedMetadata());
    }
    const client = this.clientFor(service, refusal.leaderClientAddress);
    // Whole milliseconds: a fractional grpc-timeout header is a protocol error.
    const timeoutMs = Math.max(1, Math.floor(context.timeoutMs() ?? DEFAULT_FORWARD_TIMEOUT_MS));
    try {
      return await call(client, { signal: context.signal, timeoutMs, headers: forwardedHeaders(context, [...path, this.selfId]) });
    } catch (error) {
      const cause = ConnectError.from(error);
      if (cause.code === Code.Unavailable) {
        // Unreachable, or no longer the leader: either way the client should retry, told where it went wrong.
        // Certainly not applied: the leader's own answer says so, or its port refused the connection.
        const notProposed = cause.metadata.get(NOT_PROPOSED_HEADER) === "true" || connectionRefused(cause);
        throw new ConnectError(
          `node ${this.selfId} forwarded the write to leader ${refusal.leaderId} at ${refusal.leaderClientAddress}: ${cause.rawMessage}`,
          Code.Unavailable,
          notProposed ? notProposedMetadata() : undefined,
          undefined,
          cause,
        );
      }
      // The leader's own answer (validation, deadline, ...): passed on unchanged.
      throw cause;
    }
  }

  private clientFor<S extends DescService>(service: S, address: string): Client<S> {
    const { version, tls } = this.dial.current();
    if (version !== this.dialVersion) {
      // New certificates: connections from now on use them (open ones finish with the old).
      this.dialVersion = version;
      this.clients.clear();
      this.transports.clear();
    }
    const key = `${service.typeName} ${address}`;
    const cached = this.clients.get(key);
    // Keyed by the service's type name, so the cached client is a Client<S>.
    if (cached !== undefined) return cached as unknown as Client<S>;
    let transport = this.transports.get(address);
    if (transport === undefined) {
      transport = createGrpcTransport({
        baseUrl: `${tls === undefined ? "http" : "https"}://${address}`,
        acceptCompression: [],
        nodeOptions: tls === undefined ? undefined : { ca: tls.ca, cert: tls.cert, key: tls.key },
      });
      this.transports.set(address, transport);
    }
    const client = createClient(service, transport);
    this.clients.set(key, client as unknown as Client<DescService>);
    return client;
  }
}
