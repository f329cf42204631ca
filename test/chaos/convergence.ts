import { createHash } from "node:crypto";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { Cluster } from "./cluster.ts";
import { connectKv, type KvConnection } from "./kv-connection.ts";

/** One node's whole key space, read locally. */
export interface NodeContent {
  readonly id: string;
  readonly appliedIndex: number;
  readonly keys: number;
  /** sha256 over every key, value, create/mod index and version, in key order. */
  readonly hash: string;
}

export interface ConvergenceVerdict {
  readonly converged: boolean;
  readonly waitedMs: number;
  readonly nodes: readonly NodeContent[];
  /** Nodes that could not be read at the last attempt, with why. */
  readonly unreadable: readonly string[];
}

const pageLimit = 1000;

/**
 * After the faults are healed and the clients stopped: every node must end
 * with the same state machine — same applied index, same content, down to
 * each key's indexes. Each node is read with a stale (local) Range so what
 * is compared is that node's own copy, not the leader's. Polls until all
 * agree or `timeoutMs` passes (a follower may still be catching up).
 * Its own loop rather than `withinTime`: a run that does not converge
 * reports the last reads (what each node held), not just that time ran out.
 */
export async function awaitConvergence(cluster: Cluster, timeoutMs: number): Promise<ConvergenceVerdict> {
  const started = performance.now();
  const connections = new Map(cluster.nodes.map((n) => [n.id, connectKv(n.endpoint)]));
  for (;;) {
    const unreadable: string[] = [];
    const nodes: NodeContent[] = [];
    for (const node of cluster.nodes) {
      const kv = connections.get(node.id) ?? connectKv(node.endpoint);
      try {
        nodes.push(await readContent(node.id, kv));
      } catch (error) {
        unreadable.push(`${node.id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const first = nodes[0];
    const converged = unreadable.length === 0 && first !== undefined && nodes.every((n) => n.hash === first.hash && n.appliedIndex === first.appliedIndex);
    const waitedMs = performance.now() - started;
    if (converged || waitedMs > timeoutMs) return { converged, waitedMs, nodes, unreadable };
    await Bun.sleep(250);
  }
}

export function describeConvergence(verdict: ConvergenceVerdict): string {
  const nodes = verdict.nodes.map((n) => `${n.id}: applied ${n.appliedIndex}, ${n.keys} keys, ${n.hash.slice(0, 12)}`);
  return [...nodes, ...verdict.unreadable.map((u) => `unreadable ${u}`)].join("; ");
}

async function readContent(id: string, kv: KvConnection): Promise<NodeContent> {
  // A write applied between two pages would mix states: read again until the applied index held still.
  for (let attempt = 0; attempt < 5; attempt++) {
    const hash = createHash("sha256");
    let keys = 0;
    let start: Uint8Array | undefined;
    let firstIndex: number | undefined;
    let lastIndex = 0;
    for (;;) {
      const page = await kv.range({ start, limit: pageLimit, consistency: Consistency.STALE }, { timeoutMs: 5_000 });
      lastIndex = Number(page.header?.index ?? 0n);
      firstIndex ??= lastIndex;
      for (const e of page.kvs) {
        keys++;
        hash.update(e.key).update("\0").update(e.value).update(`\0${e.createIndex}\0${e.modIndex}\0${e.version}\n`);
      }
      if (!page.more) break;
      start = page.nextKey;
    }
    if (firstIndex === lastIndex) return { id, appliedIndex: lastIndex, keys, hash: hash.digest("hex") };
  }
  throw new Error(`${id}: applied index kept moving during the read`);
}
