import { type Client, createClient } from "@connectrpc/connect";
import { Cluster, type Member } from "../gen/raftkv/v1/cluster_pb.ts";
import { KV, type ResponseHeader } from "../gen/raftkv/v1/kv_pb.ts";
import { Lease } from "../gen/raftkv/v1/lease_pb.ts";
import { baseUrlOf, hostPortOf } from "./endpoint-url.ts";
import type { TransportFactory } from "./transport-factory.ts";

/** One node the client can call, with its service clients sharing one transport. */
export interface Endpoint {
  readonly address: string;
  readonly kv: Client<typeof KV>;
  readonly lease: Client<typeof Lease>;
  readonly cluster: Client<typeof Cluster>;
  /** The member id that answered here, once known (from a read's header or the configuration). */
  memberId: string;
}

/**
 * The endpoints and what the client has learned about them: which member each
 * one is, and who leads. Calls start at the leader when its endpoint is known
 * (writes then skip a forwarding hop), else at the endpoint that answered last.
 */
export class EndpointPool {
  private readonly endpoints: Endpoint[] = [];
  private leaderId = "";
  private lastGood = 0;

  constructor(
    addresses: readonly string[],
    private readonly transportFactory: TransportFactory,
  ) {
    if (addresses.length === 0) throw new Error("endpoints: at least one endpoint is needed");
    for (const address of addresses) this.add(address);
  }

  get size(): number {
    return this.endpoints.length;
  }

  addresses(): string[] {
    return this.endpoints.map((e) => e.address);
  }

  /** The leader's id as last reported ("" when unknown). */
  leader(): string {
    return this.leaderId;
  }

  leaderEndpoint(): Endpoint | undefined {
    if (this.leaderId === "") return undefined;
    return this.endpoints.find((e) => e.memberId === this.leaderId);
  }

  /** Every endpoint once: the leader's first, then round the ring from the last one that answered. */
  attemptOrder(): Endpoint[] {
    const order: Endpoint[] = [];
    const leader = this.leaderEndpoint();
    if (leader !== undefined) order.push(leader);
    for (let i = 0; i < this.endpoints.length; i++) {
      const endpoint = this.endpoints[(this.lastGood + i) % this.endpoints.length];
      if (endpoint !== undefined && endpoint !== leader) order.push(endpoint);
    }
    return order;
  }

  /**
   * A call answered. `answeredLocally` is false for writes: a follower hands
   * back the leader's own response, so its member id is not this endpoint's.
   */
  succeeded(endpoint: Endpoint, header: ResponseHeader | undefined, answeredLocally: boolean): void {
    this.lastGood = Math.max(0, this.endpoints.indexOf(endpoint));
    if (header === undefined) return;
    if (answeredLocally && header.memberId !== "") this.bindMember(endpoint, header.memberId);
    if (header.leaderId !== "") this.leaderId = header.leaderId;
  }

  /** The endpoint failed as a node: forget it as the leader, move on. */
  failed(endpoint: Endpoint): void {
    if (endpoint.memberId !== "" && endpoint.memberId === this.leaderId) this.leaderId = "";
    const index = this.endpoints.indexOf(endpoint);
    if (index === this.lastGood) this.lastGood = (index + 1) % this.endpoints.length;
  }

  /** True when a leader is known but not which endpoint it is: the configuration can tell. */
  leaderAddressUnknown(): boolean {
    return this.leaderId !== "" && this.leaderEndpoint() === undefined;
  }

  /** Learns client addresses from the replicated configuration; adds members the list lacked. */
  learnMembers(members: readonly Member[]): void {
    for (const member of members) {
      if (member.clientAddress === "" || /:0$/.test(member.clientAddress)) continue;
      const address = hostPortOf(member.clientAddress);
      const known = this.endpoints.find((e) => hostPortOf(e.address) === address) ?? this.add(address);
      this.bindMember(known, member.id);
      if (member.leader) this.leaderId = member.id;
    }
  }

  private bindMember(endpoint: Endpoint, memberId: string): void {
    // A member id belongs to one endpoint: a node restarted elsewhere moves it.
    for (const other of this.endpoints) if (other !== endpoint && other.memberId === memberId) other.memberId = "";
    endpoint.memberId = memberId;
  }

  private add(address: string): Endpoint {
    const transport = this.transportFactory(baseUrlOf(address));
    const endpoint: Endpoint = {
      address,
      kv: createClient(KV, transport),
      lease: createClient(Lease, transport),
      cluster: createClient(Cluster, transport),
      memberId: "",
    };
    this.endpoints.push(endpoint);
    return endpoint;
  }
}
