import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { withBearerToken } from "../client/bearer-transport.ts";
import { transportFor } from "../client/transport-for.ts";
import type { JoinTarget, KvRaftEngine } from "../engine/engine-launcher.ts";
import { Cluster } from "../gen/raftkv/v1/cluster_pb.ts";
import { errorMessage } from "../log/error-message.ts";
import type { Logger } from "../log/logger.ts";
import type { MemberCredentials } from "../security/node-security.ts";

const CALL_TIMEOUT_MS = 5000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
/** While a nonvoter, AddVoter is asked again this often: a new leader does not know a promotion the old one had pending. */
const PROMOTION_RETRY_MS = 2000;

/** A gRPC transport to a member's client port with this node's credentials. */
export function memberTransport(endpoint: string, credentials: MemberCredentials): Transport {
  const transport = transportFor(endpoint, "grpc", credentials.tls);
  return credentials.token === undefined ? transport : withBearerToken(transport, credentials.token);
}

/**
 * How a new node enters a running cluster (`serve --join`): learn the
 * cluster id and members from any member that answers, start Raft without
 * bootstrapping, then ask to be added as a voter (the leader stages it as a
 * nonvoter and promotes it once caught up) until the replicated
 * configuration lists it as a voter.
 */
export class ClusterJoin {
  private readonly members: readonly { readonly endpoint: string; readonly client: Client<typeof Cluster> }[];
  private next = 0;
  private stopped = false;
  private backoffMs = FIRST_BACKOFF_MS;

  constructor(
    readonly endpoints: readonly string[],
    private readonly logger: Logger,
    /** TLS and token to call members with (their client ports may require them). */
    credentials: MemberCredentials = { tls: undefined, token: undefined },
  ) {
    if (endpoints.length === 0) throw new Error("join: at least one member's client address is needed");
    this.members = endpoints.map((endpoint) => ({ endpoint, client: createClient(Cluster, memberTransport(endpoint, credentials)) }));
  }

  /**
   * The cluster id and the members' raft addresses, from the first member
   * that answers. Throws after timeoutMs: a node told to join never starts a
   * cluster of its own.
   */
  async discover(timeoutMs: number): Promise<JoinTarget> {
    const deadline = performance.now() + timeoutMs;
    let lastError = "no answer";
    while (!this.stopped) {
      const { endpoint, client } = this.member();
      try {
        const status = await client.status({}, { timeoutMs: CALL_TIMEOUT_MS });
        const clusterId = status.stats.cluster_id ?? "";
        const seeds = status.members.filter((m) => m.raftAddress !== "").map((m) => ({ id: m.id, raftAddress: m.raftAddress }));
        if (clusterId !== "" && seeds.length > 0) {
          this.logger.info("joining cluster", { clusterId, via: endpoint, members: seeds.map((m) => m.id).join(",") });
          return { clusterId, seeds };
        }
        lastError = `${endpoint} is not a member of a cluster yet`;
      } catch (error) {
        lastError = `${endpoint}: ${errorMessage(error)}`;
      }
      this.rotate();
      if (performance.now() + this.backoffMs > deadline) break;
      await this.pause();
    }
    throw new Error(
      `join: no member of the cluster answered at ${this.endpoints.join(",")} within ${Math.round(timeoutMs / 1000)} s ` +
        `(last: ${lastError}); not starting a new cluster`,
    );
  }

  /**
   * Asks (through any member: followers forward) until the cluster answers
   * that the configuration lists this node (committed there, even if this
   * node has not received it yet); throws after timeoutMs.
   */
  async becomeMember(engine: KvRaftEngine, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let lastError = "no answer";
    while (!this.stopped) {
      if (this.isMember(engine)) return;
      const problem = await this.askToBeVoter(engine);
      if (problem === undefined || this.isMember(engine)) return;
      lastError = problem;
      if (performance.now() > deadline) {
        throw new Error(`join: the cluster did not add ${engine.id} within ${Math.round(timeoutMs / 1000)} s (last: ${lastError})`);
      }
      await this.pause();
    }
  }

  /** In the background: asks again while this node is a nonvoter, until it is a voter or stop() is called. */
  keepAskingForPromotion(engine: KvRaftEngine): void {
    void (async () => {
      while (!this.stopped) {
        if (this.isVoter(engine)) {
          this.logger.info("joined the cluster as a voter", { id: engine.id, configurationIndex: engine.membership().index });
          return;
        }
        await Bun.sleep(PROMOTION_RETRY_MS);
        if (this.stopped || this.isVoter(engine)) continue;
        const problem = await this.askToBeVoter(engine);
        if (problem !== undefined) this.logger.debug("promotion request not answered yet", { id: engine.id, error: problem });
      }
    })();
  }

  stop(): void {
    this.stopped = true;
  }

  private async askToBeVoter(engine: KvRaftEngine): Promise<string | undefined> {
    const { raftAddress, clientAddress, incarnation } = engine.advertisedAddresses;
    const { endpoint, client } = this.member();
    try {
      // The incarnation tells the leader this is a new data dir: a member listed under our id with
      // another one (we lost our data) is replaced by us as a nonvoter and promoted once we caught up.
      const answer = await client.addVoter({ id: engine.id, raftAddress, clientAddress, incarnation }, { timeoutMs: CALL_TIMEOUT_MS });
      this.backoffMs = FIRST_BACKOFF_MS;
      this.logger.debug("add-voter answered", { id: engine.id, index: Number(answer.index), promotionPending: answer.promotionPending });
      return undefined;
    } catch (error) {
      this.rotate();
      return `${endpoint}: ${errorMessage(error)}`;
    }
  }

  /** Listed under our id with our incarnation: a listing of an earlier data dir under the same id does not count. */
  private isMember(engine: KvRaftEngine): boolean {
    return engine.membership().members.some((m) => m.id === engine.id && m.incarnation === engine.advertisedAddresses.incarnation);
  }

  private isVoter(engine: KvRaftEngine): boolean {
    return engine.membership().members.some((m) => m.id === engine.id && m.suffrage === "voter" && m.incarnation === engine.advertisedAddresses.incarnation);
  }

  private member(): { readonly endpoint: string; readonly client: Client<typeof Cluster> } {
    const member = this.members[this.next % this.members.length];
    if (member === undefined) throw new Error("join: no endpoints");
    return member;
  }

  private rotate(): void {
    this.next = (this.next + 1) % this.members.length;
  }

  private async pause(): Promise<void> {
    await Bun.sleep(this.backoffMs);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }
}
