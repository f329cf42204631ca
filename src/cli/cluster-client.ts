import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { withBearerToken } from "../client/bearer-transport.ts";
import { type ClientProtocol, transportFor } from "../client/transport-for.ts";
import { Cluster } from "../gen/raftkv/v1/cluster_pb.ts";
import type { ClientCredentials } from "./client-args.ts";

/**
 * A Cluster client over the --endpoints list. Calls go to the first endpoint
 * and move on to the next one only when a node is unreachable or has no
 * leader to forward to (Unavailable); membership calls are forwarded to the
 * leader by whichever node answers.
 */
export class ClusterClient {
  private readonly clients: { readonly endpoint: string; readonly client: Client<typeof Cluster> }[];

  constructor(endpoints: readonly string[], protocol: ClientProtocol, credentials: ClientCredentials = { token: undefined, tls: undefined }) {
    if (endpoints.length === 0) throw new Error("endpoints: at least one endpoint is needed");
    this.clients = endpoints.map((endpoint) => {
      const transport = transportFor(endpoint, protocol, credentials.tls);
      return { endpoint, client: createClient(Cluster, credentials.token === undefined ? transport : withBearerToken(transport, credentials.token)) };
    });
  }

  async call<T>(call: (client: Client<typeof Cluster>) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const { client } of this.clients) {
      try {
        return await call(client);
      } catch (error) {
        lastError = error;
        if (!(error instanceof ConnectError) || error.code !== Code.Unavailable) throw error;
      }
    }
    throw lastError;
  }
}
