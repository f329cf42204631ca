import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ConnectError } from "@connectrpc/connect";
import type { SeededRandom } from "../../src/random/seeded-random.ts";
import { withinTime } from "../support/eventually.ts";
import type { Cluster } from "./cluster.ts";
import { connectAdmin } from "./cluster-admin.ts";
import type { ClusterProbe } from "./cluster-probe.ts";

export interface AdminFaultOutcome {
  readonly nodes: readonly string[];
  readonly detail: string;
  /** Misbehaviour worth reporting as an anomaly (not a refused request: operations may fail under faults). */
  readonly finding?: string;
}

const adminTimeoutMs = 10_000;

/** Asks the leader to hand leadership to a random follower; a refusal is recorded, not an anomaly. */
export async function transferLeadership(cluster: Cluster, probe: ClusterProbe, prng: SeededRandom): Promise<AdminFaultOutcome> {
  const leader = await probe.awaitLeader(5_000);
  if (leader === undefined) return { nodes: [], detail: "skipped: no leader within 5 s" };
  const followers = cluster.nodes.filter((n) => n.id !== leader && n.state === "running");
  const target = followers.length > 0 ? prng.pick(followers).id : "";
  try {
    const answer = await connectAdmin(cluster.member(leader).node.endpoint).transferLeadership({ id: target }, { timeoutMs: adminTimeoutMs });
    const after = await probe.awaitLeader(5_000);
    return { nodes: [leader, target], detail: `${leader} -> ${target || "any"}: answered ${answer.newLeaderId || "?"}, leader now ${after ?? "none"}` };
  } catch (error) {
    return { nodes: [leader, target], detail: `${leader} -> ${target || "any"} refused: ${describe(error)}` };
  }
}

/**
 * Membership churn: removes a member (sometimes the leader) with
 * RemoveServer and stops it; then either re-adds it under the same id with
 * a wiped data dir, or replaces it with a brand-new node; either way the
 * node starts empty with --join, must be added, and must catch up (from a
 * snapshot when the log was compacted past it) within `catchUpMs`. The
 * cluster keeps its size.
 */
export async function replaceMember(cluster: Cluster, probe: ClusterProbe, prng: SeededRandom, catchUpMs: number): Promise<AdminFaultOutcome> {
  const leader = await probe.awaitLeader(5_000);
  if (leader === undefined) return { nodes: [], detail: "skipped: no leader within 5 s" };
  const victim = prng.next() < 0.25 ? leader : prng.pick(cluster.nodes.filter((n) => n.id !== leader)).id;
  try {
    await connectAdmin(cluster.member(leader).node.endpoint).removeServer({ id: victim }, { timeoutMs: adminTimeoutMs });
  } catch (error) {
    return { nodes: [victim], detail: `RemoveServer ${victim} via ${leader} refused: ${describe(error)}` };
  }
  const readd = prng.next() < 0.5;
  const retired = await cluster.retire(victim, { keepProxy: readd });
  const remaining = cluster.nodes.filter((n) => n.state === "running").map((n) => n.endpoint);
  const joiner = await cluster.startJoiner(remaining, readd ? retired : undefined);
  cluster.adopt(joiner);
  const id = joiner.node.id;
  const caughtUp = await awaitCaughtUp(probe, id, catchUpMs);
  const snapshots = snapshotFiles(joiner.node.dataDir);
  const detail =
    `removed ${victim}${victim === leader ? " (the leader)" : ""}, ${readd ? `re-added it empty` : `${id} joined`} via --join` +
    (caughtUp ? ` and caught up (${snapshots} snapshot file(s) in its data dir)` : "");
  return caughtUp
    ? { nodes: [victim, id], detail }
    : { nodes: [victim, id], detail, finding: `${id} joined but did not catch up with the leader within ${catchUpMs} ms (${detail})` };
}

/** Until the node knows the leader and has applied what the leader had applied when the wait began. */
async function awaitCaughtUp(probe: ClusterProbe, id: string, timeoutMs: number): Promise<boolean> {
  let target: number | undefined;
  const caughtUp = await withinTime(
    async () => {
      const views = await probe.views();
      const self = views.find((v) => v.id === id);
      const leader = views.find((v) => v.leaderId === v.id);
      target ??= leader?.appliedIndex;
      return self !== undefined && target !== undefined && self.leaderId !== "" && self.appliedIndex >= target;
    },
    timeoutMs,
    200,
  );
  return caughtUp === true;
}

function describe(error: unknown): string {
  return error instanceof ConnectError ? error.message : String(error);
}

function snapshotFiles(dataDir: string): number {
  const dir = join(dataDir, "snapshots");
  return existsSync(dir) ? readdirSync(dir).length : 0;
}
