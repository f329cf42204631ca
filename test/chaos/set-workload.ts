import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { type EndpointSource, FailoverConnection } from "./failover-connection.ts";
import { History, type RecordedOp } from "./history.ts";
import { type ClientLoopLimits, connectKv, failureBackoffMs, fromUtf8, type KvConnection, utf8 } from "./kv-connection.ts";

export interface SetAdd {
  readonly kind: "add";
  readonly element: string;
}
export interface SetAdded {
  readonly kind: "added";
  readonly index: number;
}

export interface SetWorkloadOptions extends ClientLoopLimits {
  readonly clients: number;
}

export interface SetVerdict {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly ambiguousPresent: number;
  readonly ambiguousAbsent: number;
  /** Acknowledged adds missing from the final read. */
  readonly lost: readonly string[];
  /** Elements in the final read that no client ever tried to add. */
  readonly unexpected: readonly string[];
  /** Adds that definitely failed but whose element is present anyway. */
  readonly failedButPresent: readonly string[];
  /** Present with a value other than the one written. */
  readonly corrupted: readonly string[];
}

export const setAnomalies = (v: SetVerdict): number => v.lost.length + v.unexpected.length + v.failedButPresent.length + v.corrupted.length;

const pageLimit = 500;

/**
 * A grow-only set: each add is a Put of a fresh key under a prefix. At the
 * end, one linearizable paged Range reads the set back: every acknowledged
 * add must be there, nothing never attempted may be, and nothing whose add
 * definitely failed.
 */
export class SetWorkload {
  readonly history = new History<SetAdd, SetAdded>();
  private nextElement = 0;

  constructor(
    private readonly options: SetWorkloadOptions,
    readonly prefix = "set/",
  ) {}

  async run(endpoints: EndpointSource): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, (_, i) => this.client(new FailoverConnection(endpoints, i))));
  }

  private async client(connection: FailoverConnection): Promise<void> {
    const { shouldStop, maxOpsPerClient, requestTimeoutMs } = this.options;
    let process = this.history.newProcess();
    for (let i = 0; i < maxOpsPerClient && !shouldStop(); i++) {
      const element = `e${this.nextElement++}`;
      const kv = connection.current();
      const outcome = await this.history.run(process, { kind: "add", element }, async () => {
        const put = await kv.put({ key: utf8(this.prefix + element), value: utf8(element) }, { timeoutMs: requestTimeoutMs });
        return { kind: "added", index: Number(put.index) };
      });
      if (outcome === "info") process = this.history.newProcess();
      if (outcome !== "ok") {
        connection.failOver();
        await Bun.sleep(failureBackoffMs);
      }
    }
  }

  /** Reads the whole set (element -> stored value), paging; retries while the node is unreachable. */
  async readAll(endpoint: string, attempts = 20): Promise<Map<string, string>> {
    const kv = connectKv(endpoint);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        return await readPages(kv, this.prefix);
      } catch (error) {
        lastError = error;
        await Bun.sleep(250);
      }
    }
    throw new Error(`final read of ${this.prefix} failed ${attempts} times`, { cause: lastError });
  }

  verdict(finalRead: ReadonlyMap<string, string>): SetVerdict {
    return setVerdict(this.history.recorded(), finalRead);
  }
}

/** Compares what clients were told with what the final read holds. */
export function setVerdict(recorded: readonly RecordedOp<SetAdd, SetAdded>[], finalRead: ReadonlyMap<string, string>): SetVerdict {
  const attempted = new Set(recorded.map((r) => r.input.element));
  const lost: string[] = [];
  const failedButPresent: string[] = [];
  let acknowledged = 0;
  let ambiguousPresent = 0;
  let ambiguousAbsent = 0;
  for (const r of recorded) {
    const present = finalRead.has(r.input.element);
    switch (r.outcome) {
      case "ok":
        acknowledged++;
        if (!present) lost.push(r.input.element);
        break;
      case "fail":
        if (present) failedButPresent.push(r.input.element);
        break;
      case "info":
      case "pending":
        if (present) ambiguousPresent++;
        else ambiguousAbsent++;
        break;
      default: {
        const unreachable: never = r.outcome;
        throw new Error(`unknown outcome ${String(unreachable)}`);
      }
    }
  }
  const unexpected = [...finalRead.keys()].filter((e) => !attempted.has(e));
  const corrupted = [...finalRead].filter(([e, value]) => attempted.has(e) && value !== e).map(([e]) => e);
  return { attempted: recorded.length, acknowledged, ambiguousPresent, ambiguousAbsent, lost, unexpected, failedButPresent, corrupted };
}

async function readPages(kv: KvConnection, prefix: string): Promise<Map<string, string>> {
  const elements = new Map<string, string>();
  let start: Uint8Array | undefined;
  for (;;) {
    const page = await kv.range({ prefix: utf8(prefix), start, limit: pageLimit, consistency: Consistency.LINEARIZABLE }, { timeoutMs: 5_000 });
    for (const entry of page.kvs) elements.set(fromUtf8(entry.key).slice(prefix.length), fromUtf8(entry.value));
    if (!page.more) return elements;
    start = page.nextKey;
  }
}
