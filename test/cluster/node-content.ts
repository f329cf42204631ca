import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { ServeProcess } from "./serve-process.ts";

const fromUtf8 = new TextDecoder();

/** Everything one node holds, as `key=value` lines in key order, and the applied index it answered at. */
export interface NodeContent {
  readonly kvs: readonly string[];
  readonly appliedIndex: bigint;
}

/**
 * Reads the whole key space from one node, page by page. At `STALE` this is
 * the node's own state machine, which is what convergence is about; the
 * applied index is the one of the first page (callers compare once writes
 * have stopped).
 */
export async function contentOf(node: ServeProcess, consistency: Consistency = Consistency.STALE): Promise<NodeContent> {
  const kvs: string[] = [];
  let start: Uint8Array = new Uint8Array(0);
  let appliedIndex: bigint | undefined;
  for (;;) {
    const page = await node.client().range({ start, limit: 10_000, consistency }, { timeoutMs: 10_000 });
    appliedIndex ??= page.header?.index ?? 0n;
    for (const kv of page.kvs) kvs.push(`${fromUtf8.decode(kv.key)}=${fromUtf8.decode(kv.value)}`);
    if (!page.more) break;
    start = page.nextKey;
  }
  return { kvs, appliedIndex: appliedIndex ?? 0n };
}

/** Reads every node; the first node's content when all are equal (content and applied index), else undefined. */
export async function convergedContent(nodes: readonly ServeProcess[]): Promise<NodeContent | undefined> {
  const contents = await Promise.all(nodes.map((n) => contentOf(n)));
  const [first, ...rest] = contents;
  if (first === undefined) return undefined;
  const same = rest.every((c) => c.appliedIndex === first.appliedIndex && c.kvs.length === first.kvs.length && c.kvs.every((kv, i) => kv === first.kvs[i]));
  return same ? first : undefined;
}
