import { type Client, createClient } from "@connectrpc/connect";
import { RaftkvClient, type TransportFactory } from "../../../src/client/index.ts";
import { Cluster } from "../../../src/gen/raftkv/v1/cluster_pb.ts";
import { AuthToken } from "./auth-token.ts";
import { consoleTransportFactory } from "./console-transport.ts";

/**
 * How the console reaches the cluster: the node that served the page (every
 * read, write, watch and admin call; a follower forwards writes and admin
 * changes to the leader itself), and each member's client address for that
 * member's own Status (cross-origin: the member needs this page's origin in
 * its --cors-allowed-origins).
 */
export class NodeConnection {
  readonly auth: AuthToken;
  /** The serving node only: no member discovery, so nothing goes elsewhere behind the operator's back. */
  readonly client: RaftkvClient;
  /** The serving node's Cluster service, for admin calls (the node forwards changes to the leader). */
  readonly cluster: Client<typeof Cluster>;
  readonly baseUrl: string;
  private readonly transports: TransportFactory;
  private readonly memberClients = new Map<string, Client<typeof Cluster>>();

  constructor(baseUrl: string, auth = new AuthToken()) {
    this.baseUrl = baseUrl;
    this.auth = auth;
    this.transports = consoleTransportFactory(auth);
    this.client = new RaftkvClient({
      endpoints: [baseUrl],
      transport: this.transports,
      discoverMembers: false,
      // An operator waits for an answer: fail within seconds and say why, rather than retry for 15 s.
      retry: { timeoutMs: 8_000, attemptTimeoutMs: 6_000, maxBackoffMs: 500 },
    });
    this.cluster = createClient(Cluster, this.transports(baseUrl));
  }

  /** The page's own base URL (a proxy's path prefix kept): the RPC paths hang off it. */
  static forPage(location: Location): NodeConnection {
    return new NodeConnection(new URL(".", location.href).href.replace(/\/+$/, ""));
  }

  /** A Cluster client for one member's client address (`host:port`), over this page's scheme. */
  memberCluster(clientAddress: string): Client<typeof Cluster> {
    let client = this.memberClients.get(clientAddress);
    if (client === undefined) {
      const scheme = new URL(this.baseUrl).protocol;
      client = createClient(Cluster, this.transports(`${scheme}//${clientAddress}`));
      this.memberClients.set(clientAddress, client);
    }
    return client;
  }

  /** The `host:port` this page was served from, to tell which member is "this node" by address too. */
  get pageHost(): string {
    return new URL(this.baseUrl).host;
  }
}
