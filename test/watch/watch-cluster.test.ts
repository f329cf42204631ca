import { afterAll, expect, test } from "bun:test";
import { eagerSnapshotFlags, fastRaftFlags, ProxiedCluster } from "../cluster/proxied-cluster.ts";
import type { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { describeEvents, kvClient, WatchReader } from "./watch-reader.ts";

const utf8 = new TextEncoder();

let cluster: ProxiedCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

/** Keys whose put failed at least once and was retried: an attempt may have been applied without an answer. */
const retried = new Set<string>();

/** Puts through `node`, retried while the cluster settles; returns the acknowledged index. */
async function put(node: ServeProcess, key: string, value: string): Promise<number> {
  const client = kvClient(node.endpoint);
  let attempts = 0;
  const answer = await eventually(`put ${key}`, () => {
    if (attempts++ > 0) retried.add(key);
    return client.put({ key: utf8.encode(key), value: utf8.encode(value) }, { timeoutMs: 5000 });
  });
  return Number(answer.index);
}

/**
 * The watch saw every acknowledged write, in strictly increasing index order
 * (no duplicate), and nothing else but the possibly applied earlier attempts
 * of retried puts.
 */
function expectExactlyTheWrites(seen: readonly string[], acknowledged: ReadonlyMap<number, string>): void {
  const indexes = seen.map((e) => Number(e.split("@")[1]));
  expect(indexes.every((index, i) => i === 0 || index > (indexes[i - 1] ?? 0))).toBe(true);
  const seenIndexes = new Set(indexes);
  expect([...acknowledged.keys()].filter((index) => !seenIndexes.has(index))).toEqual([]);
  const unexplained = seen.filter((e) => {
    const index = Number(e.split("@")[1]);
    const key = e.slice(e.indexOf(":") + 1, e.indexOf("="));
    return !acknowledged.has(index) && !retried.has(key);
  });
  expect(unexplained).toEqual([]);
}

test("a follower streams what it applies, and abandons its watches when it restores a snapshot sent by the leader", async () => {
  cluster = await ProxiedCluster.start({
    size: 3,
    flags: [...fastRaftFlags, ...eagerSnapshotFlags],
  });
  const leader = await cluster.awaitLeader();
  const follower = cluster.follower(leader.id);

  // Watch on the follower while 4 writers write through the leader.
  const watch = new WatchReader(kvClient(follower.endpoint), { key: utf8.encode("f/"), prefix: true, progressIntervalMs: 60_000 });
  const created = await watch.next();
  expect(created?.kind.case).toBe("created");
  expect(created?.header?.memberId).toBe(follower.id);
  const acknowledged = new Map<number, string>();
  await Promise.all(
    [0, 1, 2, 3].map(async (w) => {
      for (let n = 0; n < 10; n++) {
        acknowledged.set(await put(leader, `f/${w}/${n}`, "v"), `f/${w}/${n}`);
        await put(leader, `g/${w}/${n}`, "outside");
      }
    }),
  );
  const lastAcknowledged = Math.max(...acknowledged.keys());
  const seen = await watch.events(acknowledged.size, 30_000);
  // Retried attempts may add events: read on until the last acknowledged write is in.
  while (!seen.some((e) => e.endsWith(`@${lastAcknowledged}`))) seen.push(...(await watch.events(1, 30_000)));
  expectExactlyTheWrites(seen, acknowledged);

  // Cut the follower off while the leader snapshots and drops the log it would need.
  const followerIndex = lastAcknowledged;
  cluster.isolate(follower.id);
  const writers = Array.from({ length: 8 }, (_, w) => async () => {
    for (let n = 0; n < 40; n++) await put(leader, `late/${w}/${n}`, "v");
  });
  await Promise.all(writers.map((write) => write()));
  await eventually("the leader compacted its log past the follower", async () => (leader.compactedLogIndex() > followerIndex + 10 ? true : undefined), 30_000);

  cluster.heal();
  const rest = await watch.until((m) => m.kind.case === "abandoned", 40_000);
  const abandoned = rest.at(-1);
  expect(abandoned?.kind.case).toBe("abandoned");
  const restoredIndex = abandoned?.kind.case === "abandoned" ? Number(abandoned.kind.value.restoredIndex) : 0;
  expect(restoredIndex).toBeGreaterThan(followerIndex);
  // Nothing it missed was made up: no events of keys written while it was cut off.
  expect(rest.flatMap(describeEvents).filter((e) => e.includes("late/"))).toEqual([]);
  expect(await watch.next()).toBeUndefined();
  expect(follower.hasLogged("state machine restored from a received snapshot")).toBe(true);

  // A new watch on the restored follower starts from its new state. The
  // leader kept compacting while the first snapshot was in flight, so the
  // follower may need another one: a watch opened meanwhile is abandoned
  // again (correctly), and the next one must work.
  const afterRestore = await eventually(
    "a watch on the restored follower that sees a new write",
    async () => {
      const again = new WatchReader(kvClient(follower.endpoint), { key: utf8.encode("f/"), prefix: true });
      try {
        if ((await again.next())?.kind.case !== "created") return undefined;
        const index = await put(leader, "f/after", "restore");
        const events = await again.events(1, 10_000);
        return { events, index };
      } finally {
        again.cancel();
      }
    },
    60_000,
  );
  expect(afterRestore.events).toEqual([`put:f/after=restore@${afterRestore.index}`]);
}, 150_000);
