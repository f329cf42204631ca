import { type Member, Suffrage } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { ClusterProcess, ProcessCluster } from "../cluster/cluster-process.ts";
import { eventually } from "../support/eventually.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The value, or a test failure naming what was missing. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}`);
  return value;
}

/** The leader as the running nodes report it (agreed by the one that answers first with a leader). */
export async function currentLeader(cluster: ProcessCluster, timeoutMs = 20_000): Promise<ClusterProcess> {
  return eventually(
    "a leader",
    async () => {
      for (const node of cluster.nodes) {
        if (!node.running) continue;
        try {
          const status = await node.clusterClient().status({}, { timeoutMs: 2000 });
          if (status.state === "leader") return node;
        } catch {
          // not answering: try the next one
        }
      }
      return undefined;
    },
    timeoutMs,
  );
}

export async function membersOf(node: ClusterProcess): Promise<Member[]> {
  const answer = await node.clusterClient().getConfiguration({}, { timeoutMs: 5000 });
  return answer.members;
}

export function describeMembers(members: readonly Member[]): string {
  return members
    .map((m) => `${m.id}:${m.suffrage === Suffrage.VOTER ? "voter" : "nonvoter"}`)
    .sort()
    .join(",");
}

/** Writes keys one after another through the given endpoints until stopped; remembers every acknowledged one. */
export class BackgroundWriter {
  readonly acknowledged: string[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly nodes: () => readonly ClusterProcess[],
    private readonly prefix: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let i = 0;
    while (!this.stopped) {
      const candidates = this.nodes().filter((n) => n.running);
      const node = candidates[i % Math.max(1, candidates.length)];
      const key = `${this.prefix}-${String(i).padStart(6, "0")}`;
      i++;
      if (node === undefined) {
        await Bun.sleep(20);
        continue;
      }
      try {
        await node.client().put({ key: utf8.encode(key), value: utf8.encode(key) }, { timeoutMs: 3000 });
        this.acknowledged.push(key);
      } catch {
        // Unacknowledged: its outcome does not matter to the checks.
        await Bun.sleep(20);
      }
    }
  }

  /** Waits until at least count writes were acknowledged. */
  async reach(count: number, timeoutMs = 30_000): Promise<void> {
    await eventually(`${count} acknowledged writes`, async () => (this.acknowledged.length >= count ? true : undefined), timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** Every acknowledged key is present on node (stale read: its local state), eventually. */
export async function expectAllPresent(node: ClusterProcess, prefix: string, acknowledged: readonly string[]): Promise<void> {
  await eventually(
    `${node.id} holds every acknowledged ${prefix} write`,
    async () => {
      const page = await node
        .client()
        .range({ prefix: utf8.encode(`${prefix}-`), limit: 10_000, keysOnly: true, consistency: Consistency.STALE }, { timeoutMs: 5000 });
      const present = new Set(page.kvs.map((kv) => fromUtf8.decode(kv.key)));
      return acknowledged.every((k) => present.has(k)) ? true : undefined;
    },
    30_000,
  );
}
