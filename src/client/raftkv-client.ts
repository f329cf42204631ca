import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { GetConfigurationResponse, StatusResponse } from "../gen/raftkv/v1/cluster_pb.ts";
import {
  type CompactResponse,
  type Consistency,
  type DeleteResponse,
  type GetResponse,
  type KeyValue,
  type PutResponse,
  RangeRequestSchema,
  type RangeResponse,
  type RequestOp,
  TxnRequestSchema,
  type TxnResponse,
  type WatchRequest,
  type WatchRequestSchema,
} from "../gen/raftkv/v1/kv_pb.ts";
import type {
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
} from "../gen/raftkv/v1/lease_pb.ts";
import { withBearerToken } from "./bearer-transport.ts";
import { EndpointPool } from "./endpoint-pool.ts";
import { type ClientCallOptions, FailoverCaller } from "./failover-caller.ts";
import { type Bytes, toBytes } from "./key-bytes.ts";
import { ResumableWatch } from "./resumable-watch.ts";
import { defaultRetryPolicy, type RetryPolicy } from "./retry-policy.ts";
import type { TransportFactory } from "./transport-factory.ts";
import type { WatchOptions, WatchUpdate } from "./watch-update.ts";

export interface RaftkvClientOptions {
  /** Client addresses (`host:port` or `http://host:port`) of some or all members. */
  readonly endpoints: readonly string[];
  /** nodeTransportFactory("grpc") in Node/Bun, webTransportFactory() in a browser. */
  readonly transport: TransportFactory;
  readonly retry?: Partial<RetryPolicy>;
  /** Ask the Cluster service for members' client addresses to find the leader (default true). */
  readonly discoverMembers?: boolean;
  /** Sent as `authorization: Bearer TOKEN` on every call (nodes started with --auth-token-file). */
  readonly token?: string;
}

export interface ReadOptions extends ClientCallOptions {
  readonly consistency?: Consistency;
}

export interface PutOptions extends ClientCallOptions {
  readonly lease?: bigint;
  readonly prevKv?: boolean;
}

export interface DeleteOptions extends ClientCallOptions {
  /** Delete every key in [key, rangeEnd) instead of one key. */
  readonly rangeEnd?: Bytes;
  readonly prevKv?: boolean;
}

function readOnlyOp(op: RequestOp): boolean {
  return op.op.case === "get" || op.op.case === "range";
}

/**
 * The raftkv client: typed calls over a list of endpoints, leader first,
 * failing over and retrying with backoff within a deadline. Reads are retried
 * on any node-level failure; writes only when the failure proves they never
 * entered a log, otherwise a WriteOutcomeUnknownError reaches the caller.
 * Same code in Node/Bun and browsers: the caller supplies the transport.
 */
export class RaftkvClient {
  private readonly pool: EndpointPool;
  private readonly policy: RetryPolicy;
  private readonly caller: FailoverCaller;

  constructor(options: RaftkvClientOptions) {
    const token = options.token;
    const transport: TransportFactory =
      token === undefined || token === "" ? options.transport : (baseUrl) => withBearerToken(options.transport(baseUrl), token);
    this.pool = new EndpointPool(options.endpoints, transport);
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.caller = new FailoverCaller(this.pool, this.policy, options.discoverMembers ?? true);
  }

  /** The leader's member id as last reported ("" when unknown). */
  leader(): string {
    return this.pool.leader();
  }

  /** The endpoints in use, including members learned from the configuration. */
  endpoints(): string[] {
    return this.pool.addresses();
  }

  put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResponse> {
    const request = { key: toBytes(key), value: toBytes(value), lease: options.lease ?? 0n, prevKv: options.prevKv ?? false };
    return this.caller.call("Put", "write", (e, o) => e.kv.put(request, o), options);
  }

  get(key: Bytes, options: ReadOptions = {}): Promise<GetResponse> {
    const request = { key: toBytes(key), consistency: options.consistency };
    return this.caller.call("Get", "read", (e, o) => e.kv.get(request, o), options);
  }

  delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteResponse> {
    const request = {
      key: toBytes(key),
      rangeEnd: options.rangeEnd === undefined ? new Uint8Array(0) : toBytes(options.rangeEnd),
      prevKv: options.prevKv ?? false,
    };
    return this.caller.call("Delete", "write", (e, o) => e.kv.delete(request, o), options);
  }

  /** One page; pass the answer's nextKey as `start` for the next (or use rangeAll). */
  range(request: MessageInitShape<typeof RangeRequestSchema>, options: ClientCallOptions = {}): Promise<RangeResponse> {
    const message = create(RangeRequestSchema, request);
    return this.caller.call("Range", "read", (e, o) => e.kv.range(message, o), options);
  }

  /** Every page of a range, following nextKey, with the index of the first page. */
  async rangeAll(request: MessageInitShape<typeof RangeRequestSchema>, options: ClientCallOptions = {}): Promise<{ kvs: KeyValue[]; index: bigint }> {
    const kvs: KeyValue[] = [];
    let start = create(RangeRequestSchema, request).start;
    let index: bigint | undefined;
    for (;;) {
      const page = await this.range({ ...request, start }, options);
      index ??= page.header?.index ?? 0n;
      kvs.push(...page.kvs);
      if (!page.more || page.nextKey.length === 0) return { kvs, index };
      start = page.nextKey;
    }
  }

  /** A transaction whose branches only read is retried like a read; any write makes it a write. */
  txn(request: MessageInitShape<typeof TxnRequestSchema>, options: ClientCallOptions = {}): Promise<TxnResponse> {
    const message = create(TxnRequestSchema, request);
    const readOnly = message.success.every(readOnlyOp) && message.failure.every(readOnlyOp);
    return this.caller.call("Txn", readOnly ? "read" : "write", (e, o) => e.kv.txn(message, o), options);
  }

  compact(index: bigint, options: ClientCallOptions = {}): Promise<CompactResponse> {
    return this.caller.call("Compact", "write", (e, o) => e.kv.compact({ index }, o), options);
  }

  /**
   * Watches a key, a prefix or a range; resumes after disconnects without gaps
   * or repeats. Breaking out of the loop (or aborting options.signal) ends it.
   */
  watch(request: MessageInitShape<typeof WatchRequestSchema>, options: WatchOptions = {}): AsyncIterable<WatchUpdate> {
    return new ResumableWatch(this.pool, this.policy, ResumableWatch.requestOf(request), (r, signal) => this.reread(r, signal), options);
  }

  /** Grants a lease; with no id the server picks one. */
  leaseGrant(ttlSeconds: number, options: ClientCallOptions & { readonly id?: bigint } = {}): Promise<LeaseGrantResponse> {
    const request = { ttlSeconds: BigInt(ttlSeconds), id: options.id ?? 0n };
    return this.caller.call("LeaseGrant", "write", (e, o) => e.lease.leaseGrant(request, o), options);
  }

  leaseRevoke(id: bigint, options: ClientCallOptions = {}): Promise<LeaseRevokeResponse> {
    return this.caller.call("LeaseRevoke", "write", (e, o) => e.lease.leaseRevoke({ id }, o), options);
  }

  /** Renewing twice is harmless, so a keep-alive is retried like a read. */
  leaseKeepAlive(id: bigint, options: ClientCallOptions = {}): Promise<LeaseKeepAliveResponse> {
    return this.caller.call("LeaseKeepAlive", "read", (e, o) => e.lease.leaseKeepAlive({ id }, o), options);
  }

  leaseTimeToLive(id: bigint, options: ClientCallOptions & { readonly keys?: boolean } = {}): Promise<LeaseTimeToLiveResponse> {
    const request = { id, keys: options.keys ?? false };
    return this.caller.call("LeaseTimeToLive", "read", (e, o) => e.lease.leaseTimeToLive(request, o), options);
  }

  leaseList(options: ClientCallOptions = {}): Promise<LeaseLeasesResponse> {
    return this.caller.call("LeaseLeases", "read", (e, o) => e.lease.leaseLeases({}, o), options);
  }

  /** Status of whichever node answers (the leader when known). */
  status(options: ClientCallOptions = {}): Promise<StatusResponse> {
    return this.caller.call("Status", "read", (e, o) => e.cluster.status({}, o), options);
  }

  configuration(options: ClientCallOptions = {}): Promise<GetConfigurationResponse> {
    return this.caller.call("GetConfiguration", "read", (e, o) => e.cluster.getConfiguration({}, o), options);
  }

  private async reread(request: WatchRequest, signal: AbortSignal): Promise<{ kvs: KeyValue[]; index: bigint }> {
    if (request.prefix) return this.rangeAll({ prefix: request.key }, { signal });
    if (request.rangeEnd.length > 0) return this.rangeAll({ start: request.key, end: request.rangeEnd }, { signal });
    const answer = await this.get(request.key, { signal });
    return { kvs: answer.kv === undefined ? [] : [answer.kv], index: answer.header?.index ?? 0n };
  }
}
