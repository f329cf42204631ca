import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { classifyCallFailure } from "./call-failure.ts";
import { KV } from "../gen/raftkv/v1/kv_pb.ts";
import { transportFor, type ClientProtocol } from "./transport-for.ts";

/**
 * The older, minimal client (kept for existing callers; RaftkvClient is the
 * full one). A KV client over a list of endpoints. Calls go to the endpoint that last
 * answered; when a node is unreachable (Unavailable) the call moves on to the
 * next one. Writes are only retried when the request never reached a node
 * (connection refused), so a write is never applied twice by the client.
 */
export class KvClient {
  private readonly clients: Client<typeof KV>[];
  private current = 0;

  constructor(endpoints: readonly string[], protocol: ClientProtocol = "grpc") {
    if (endpoints.length === 0) throw new Error("endpoints: at least one endpoint is needed");
    this.clients = endpoints.map((endpoint) => createClient(KV, transportFor(endpoint, protocol)));
  }

  /** Runs `call` against the current endpoint, failing over on Unavailable. */
  async call<T>(call: (client: Client<typeof KV>) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.clients.length; attempt++) {
      const index = (this.current + attempt) % this.clients.length;
      const client = this.clients[index];
      if (client === undefined) continue;
      try {
        const answer = await call(client);
        this.current = index;
        return answer;
      } catch (error) {
        lastError = error;
        // A GOAWAY during a graceful shutdown surfaces as Internal, yet the request was never sent.
        const notSent = classifyCallFailure(error).kind === "not-sent";
        if (!notSent && (!(error instanceof ConnectError) || error.code !== Code.Unavailable)) throw error;
      }
    }
    throw lastError;
  }
}
