import { afterAll, describe, expect, test } from "bun:test";
import { eventually } from "../support/eventually.ts";
import { contentOf, convergedContent } from "./node-content.ts";
import { eagerSnapshotFlags, fastRaftFlags, ProxiedCluster } from "./proxied-cluster.ts";
import { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();

let cluster: ProxiedCluster | undefined;
const extra: ServeProcess[] = [];
afterAll(async () => {
  for (const node of extra) await node.kill();
  await cluster?.stop();
});

async function writeMany(node: ServeProcess, prefix: string, count: number): Promise<void> {
  const client = node.client();
  for (let start = 0; start < count; start += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, (_, i) => {
        const key = `${prefix}-${String(start + i).padStart(4, "0")}`;
        return eventually(`put ${key}`, () => client.put({ key: utf8.encode(key), value: utf8.encode("v") }, { timeoutMs: 5000 }));
      }),
    );
  }
}

/** The same node (data dir, ports) started with a failpoint armed. */
function withFailpoint(c: ProxiedCluster, id: string, failpoint: string): ServeProcess {
  const member = c.member(id);
  const node = new ServeProcess({
    id,
    dataDir: member.process.dataDir,
    env: { RAFTKV_FAILPOINTS: `${failpoint}=crash` },
    flags: ["--raft-listen", `127.0.0.1:${member.raftPort}`, "--advertise-raft", member.proxy.address, ...fastRaftFlags, ...eagerSnapshotFlags],
  });
  extra.push(node);
  return node;
}

/**
 * A follower that can only catch up by InstallSnapshot is killed exactly
 * inside each window of the install (failpoints, as kill -9 would): after
 * a plain restart it must start, agree with its own log, and converge.
 * Before the fix, a crash after the state machine was restored but before
 * the log was reset left a node whose log ended below its state machine,
 * and the leader probed it forever.
 */
describe("a crash inside a snapshot install", () => {
  for (const failpoint of ["snapshot.received", "snapshot.install.before-log-reset", "snapshot.install.after-log-reset", "snapshot.restore.mid"]) {
    test(`at ${failpoint}: the restarted follower recovers and converges`, async () => {
      cluster ??= await ProxiedCluster.start({ size: 3, flags: [...fastRaftFlags, ...eagerSnapshotFlags] });
      const c = cluster;
      const leader = await c.awaitLeader();
      const follower = c.nodes.find((n) => n.id !== leader.id && n.running) ?? c.follower(leader.id);
      const followerIndex = Number((await contentOf(follower)).appliedIndex);
      // Cut off while still running: the appends it misses are swallowed on the way (a blackhole), so
      // nothing queued for it can arrive later; only a snapshot can bring it back.
      c.isolate(follower.id);
      await writeMany(leader, failpoint, 120);
      // Every node that could lead compacted past it.
      const others = c.nodes.filter((n) => n.id !== follower.id);
      await eventually("the others compacted past the follower", async () => (others.every((n) => n.compactedLogIndex() > followerIndex) ? true : undefined));
      await follower.kill();
      c.heal();
      const armed = withFailpoint(c, follower.id, failpoint);
      await armed.start();
      try {
        await armed.waitForExit(30_000);
      } catch (error) {
        await armed.kill();
        throw error;
      }
      expect(armed.logLines().some((l) => typeof l.text === "string" && l.text.includes(`failpoint ${failpoint} reached`))).toBe(true);

      await follower.start();
      const converged = await eventually("all nodes converged", () => convergedContent(c.nodes), 30_000);
      expect(converged.kvs.filter((kv) => kv.startsWith(`${failpoint}-`)).length).toBe(120);
      expect(follower.logLines().some((l) => l.msg === "raft engine stopped")).toBe(false);
    }, 120_000);
  }
});
