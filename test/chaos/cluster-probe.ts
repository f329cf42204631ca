import { Code, ConnectError } from "@connectrpc/connect";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { withinTime } from "../support/eventually.ts";
import type { Cluster } from "./cluster.ts";
import { connectKv, type KvConnection, utf8 } from "./kv-connection.ts";

/** What one node believes about leadership, from the header of a local (stale) read. */
export interface NodeView {
  readonly id: string;
  readonly term: number;
  readonly leaderId: string;
  readonly appliedIndex: number;
}

const probeKey = utf8("chaos/probe");

/**
 * Leadership as the nodes see it, read from response headers (every KV
 * answer carries term and leader id), so it works without the Cluster
 * service. Connections are cached per endpoint.
 */
export class ClusterProbe {
  private readonly connections = new Map<string, KvConnection>();

  constructor(private readonly cluster: Cluster) {}

  /** Views of every running node that answered within `timeoutMs`. */
  async views(timeoutMs = 500): Promise<NodeView[]> {
    const running = this.cluster.nodes.filter((n) => n.state === "running");
    const answers = await Promise.all(
      running.map(async (node): Promise<NodeView | undefined> => {
        try {
          const got = await this.kv(node.endpoint).get({ key: probeKey, consistency: Consistency.STALE }, { timeoutMs });
          const header = got.header;
          if (header === undefined) return undefined;
          return { id: node.id, term: Number(header.term), leaderId: header.leaderId, appliedIndex: Number(header.index) };
        } catch {
          return undefined;
        }
      }),
    );
    return answers.filter((v): v is NodeView => v !== undefined);
  }

  /**
   * The leader of the highest term any running node knows of, if that node
   * is running and agrees it leads; undefined during elections.
   */
  async leader(): Promise<string | undefined> {
    const views = await this.views();
    const newest = views.reduce<NodeView | undefined>((best, v) => (v.leaderId !== "" && (best === undefined || v.term > best.term) ? v : best), undefined);
    if (newest === undefined) return undefined;
    const self = views.find((v) => v.id === newest.leaderId);
    return self !== undefined && self.leaderId === self.id && self.term === newest.term ? self.id : undefined;
  }

  /** Polls until there is a leader, or gives up after `timeoutMs`. */
  async awaitLeader(timeoutMs: number): Promise<string | undefined> {
    return withinTime(() => this.leader(), timeoutMs, 100);
  }

  /**
   * Until a write through every running node succeeds: a leader exists and
   * every follower knows its client address, so forwarding works. Used
   * after start and after healing, before anything is measured.
   */
  async awaitWritable(timeoutMs: number): Promise<boolean> {
    const pending = new Set(this.cluster.nodes.filter((n) => n.state === "running").map((n) => n.endpoint));
    const writable = await withinTime(
      async () => {
        for (const endpoint of [...pending]) {
          try {
            await this.kv(endpoint).put({ key: utf8("chaos/warmup"), value: utf8(endpoint) }, { timeoutMs: 1_000 });
            pending.delete(endpoint);
          } catch {
            // not yet: no leader, or the leader's client address is not known here yet
          }
        }
        return pending.size === 0;
      },
      timeoutMs,
      100,
    );
    return writable === true;
  }

  /**
   * Whether the nodes serve KV.Txn (CAS and the bank need it): false while it
   * answers Unimplemented. Probed with a harmless transaction.
   */
  async txnServed(): Promise<boolean> {
    const node = this.cluster.nodes.find((n) => n.state === "running");
    if (node === undefined) return false;
    try {
      await this.kv(node.endpoint).txn(
        { success: [{ op: { case: "put", value: { key: utf8("chaos/txn-probe"), value: utf8("probe") } } }] },
        { timeoutMs: 5_000 },
      );
      return true;
    } catch (error) {
      return !(error instanceof ConnectError && error.code === Code.Unimplemented);
    }
  }

  /** Whether the nodes serve KV.Watch: false while it answers Unimplemented. */
  async watchServed(): Promise<boolean> {
    const node = this.cluster.nodes.find((n) => n.state === "running");
    if (node === undefined) return false;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 5_000);
    try {
      for await (const _ of this.kv(node.endpoint).watch({ key: utf8("chaos/watch-probe") }, { signal: abort.signal })) break;
      return true;
    } catch (error) {
      return !(error instanceof ConnectError && error.code === Code.Unimplemented);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  private kv(endpoint: string): KvConnection {
    let kv = this.connections.get(endpoint);
    if (kv === undefined) {
      kv = connectKv(endpoint);
      this.connections.set(endpoint, kv);
    }
    return kv;
  }
}
