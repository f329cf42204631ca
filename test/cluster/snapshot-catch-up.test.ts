import { afterAll, expect, test } from "bun:test";
import { eventually } from "../support/eventually.ts";
import { contentOf, convergedContent } from "./node-content.ts";
import { eagerSnapshotFlags, fastRaftFlags, ProxiedCluster } from "./proxied-cluster.ts";
import type { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();

let cluster: ProxiedCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

async function writeMany(node: ServeProcess, prefix: string, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const client = node.client();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const key = `${prefix}-${String(i).padStart(4, "0")}`;
      await eventually(`put ${key}`, () => client.put({ key: utf8.encode(key), value: utf8.encode(`v${i}`) }, { timeoutMs: 5000 }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

test("a follower that was down while the leader compacted its log catches up by InstallSnapshot, with equal content", async () => {
  cluster = await ProxiedCluster.start({
    size: 3,
    flags: [...fastRaftFlags, ...eagerSnapshotFlags],
  });
  const leader = await cluster.awaitLeader();
  const follower = cluster.follower(leader.id);

  await writeMany(leader, "early", 10, 5);
  const followerIndex = await eventually("the follower has the early writes", async () => {
    const content = await contentOf(follower);
    return content.kvs.length === 10 ? content.appliedIndex : undefined;
  });
  await follower.kill();

  // Enough writes for several snapshots; the leader then keeps only 5 entries behind the newest one.
  await writeMany(leader, "late", 300, 10);
  const compacted = await eventually("the leader compacted past the follower", async () => {
    const index = leader.compactedLogIndex();
    return index > Number(followerIndex) ? index : undefined;
  });
  expect(compacted).toBeGreaterThan(Number(followerIndex));

  await follower.start();
  const converged = await eventually("all nodes converged", () => convergedContent(cluster?.nodes ?? []), 30_000);
  expect(converged.kvs.length).toBe(310);
  expect(converged.kvs[0]).toBe("early-0000=v0");
  expect(converged.kvs.at(-1)).toBe("late-0299=v299");
  // It took the snapshot path: the entries it lacked no longer exist in any leader log.
  // Its log lines reach this process through a pipe, possibly after its answers did.
  await eventually("the follower logs the snapshot it restored", () => follower.hasLogged("state machine restored from a received snapshot"), 10_000);
}, 90_000);
