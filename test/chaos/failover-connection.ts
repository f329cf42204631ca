import { connectKv, type KvConnection } from "./kv-connection.ts";

/** The client endpoints to use right now (membership changes replace nodes during a run). */
export type EndpointSource = () => readonly string[];

/**
 * One workload client's connections: it sticks to one node while requests
 * succeed and moves on to the next node after a failure, as a client with an
 * endpoint list fails over. Followers forward writes to the leader, so any
 * node will do.
 */
export class FailoverConnection {
  private readonly connections = new Map<string, KvConnection>();
  private position: number;

  constructor(
    private readonly endpoints: EndpointSource,
    start: number,
  ) {
    this.position = start;
  }

  current(): KvConnection {
    const list = this.endpoints();
    const endpoint = list[this.position % Math.max(1, list.length)];
    if (endpoint === undefined) throw new Error("no endpoints to connect to");
    let kv = this.connections.get(endpoint);
    if (kv === undefined) {
      kv = connectKv(endpoint);
      this.connections.set(endpoint, kv);
    }
    return kv;
  }

  failOver(): void {
    this.position++;
  }
}
