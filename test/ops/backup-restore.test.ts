import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { fastRaftFlags, ProxiedCluster } from "../cluster/proxied-cluster.ts";
import { ServeProcess } from "../cluster/serve-process.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { fastRaftArgs } from "../support/raft-timings.ts";
import { runCli } from "../support/run-cli.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
let cluster: ProxiedCluster;
const restored: ServeProcess[] = [];

beforeAll(async () => {
  // Timings meant for a loaded machine: fewer elections while the writers run.
  cluster = await ProxiedCluster.start({ size: 3, flags: fastRaftArgs });
}, 60_000);

afterAll(async () => {
  for (const node of restored) await node.kill();
  await cluster?.stop();
});

interface Acked {
  readonly key: string;
  readonly value: string;
  readonly index: number;
}

/** The state a store holds at `index`: each key's last acknowledged write at or below it. */
function stateAt(acked: readonly Acked[], index: number): Map<string, string> {
  const state = new Map<string, { value: string; index: number }>();
  for (const write of acked) {
    if (write.index > index) continue;
    const current = state.get(write.key);
    if (current === undefined || current.index < write.index) state.set(write.key, { value: write.value, index: write.index });
  }
  return new Map([...state].map(([key, { value }]) => [key, value]));
}

test("a backup taken from a follower under concurrent writes restores to exactly the state at its recorded index; the restored cluster's indexes start above the old ones, older ones read as compacted, and it grows with --join", async () => {
  const leader = await cluster.awaitLeader();
  const follower = cluster.follower(leader.id);
  const acked: Acked[] = [];
  let writing = true;
  /** Keys with a write whose outcome is unknown (a timeout or a leader change on this loaded box): left out of the comparison. */
  const uncertain = new Set<string>();
  const writers = Array.from({ length: 4 }, async (_, w) => {
    const kv = cluster.nodes[w % 3]?.client() ?? leader.client();
    for (let n = 0; writing; n++) {
      const key = `b/${(w * 7 + n) % 40}`;
      const value = `w${w}-${n}`;
      try {
        const answer = await kv.put({ key: utf8.encode(key), value: utf8.encode(value) }, { timeoutMs: 5000 });
        acked.push({ key, value, index: Number(answer.index) });
      } catch {
        uncertain.add(key);
      }
    }
  });
  await Bun.sleep(400);
  const file = join(cluster.root, "backup.raftkv");
  const saved = await runCli(["snapshot", "save", file, "--endpoints", follower.endpoint, "-w", "json"], { timeoutMs: 60_000 });
  expect(saved.exitCode).toBe(0);
  await Bun.sleep(300);
  writing = false;
  await Promise.all(writers);

  const header = JSON.parse(saved.stdout) as { index: number; keys: number; sha256: string; memberId: string; size: number };
  expect(header.memberId).toBe(follower.id);
  const lastOldIndex = Math.max(...acked.map((a) => a.index));
  // Writes went on after the backup: the test really checks a point in the middle of them.
  expect(acked.some((a) => a.index > header.index)).toBe(true);
  expect(acked.some((a) => a.index <= header.index)).toBe(true);

  const status = await runCli(["snapshot", "status", file, "-w", "json"]);
  expect(status.exitCode).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ index: header.index, keys: header.keys, sha256: header.sha256, size: header.size });

  const dataDir = join(cluster.root, "restored-r1");
  const raftPort = freePort();
  const restore = await runCli(["snapshot", "restore", file, "--data-dir", dataDir, "--id", "r1", "--advertise-raft", `127.0.0.1:${raftPort}`, "-w", "json"]);
  expect(restore.exitCode).toBe(0);
  const result = JSON.parse(restore.stdout) as { index: number; bump: number; clusterId: string };
  expect(result.index).toBe(header.index + result.bump);
  expect(result.bump).toBeGreaterThan(lastOldIndex);

  const r1 = new ServeProcess({ id: "r1", dataDir, flags: ["--raft-listen", `127.0.0.1:${raftPort}`, ...fastRaftFlags] });
  restored.push(r1);
  await r1.start();
  const client = r1.client();
  const expected = stateAt(acked, header.index);
  const page = await eventually("the restored node to serve", () =>
    client.range({ prefix: utf8.encode("b/"), limit: 0, consistency: Consistency.LINEARIZABLE }, { timeoutMs: 3000 }),
  );
  expect(page.kvs.length).toBe(header.keys);
  const actual = new Map(page.kvs.map((kv) => [fromUtf8.decode(kv.key), fromUtf8.decode(kv.value)]));
  for (const key of uncertain) {
    actual.delete(key);
    expected.delete(key);
  }
  expect(actual).toEqual(expected);
  // Enough keys remain to make the comparison mean something.
  expect(expected.size).toBeGreaterThanOrEqual(10);

  // Indexes never go backwards: the first write lands above anything the old cluster reached.
  const first = await client.put({ key: utf8.encode("after-restore"), value: utf8.encode("1") });
  expect(Number(first.index)).toBeGreaterThan(result.index);
  // A watch resumed from an index of the old cluster is told its history is gone, never given other events.
  const watch = client.watch({ key: utf8.encode("b/"), rangeEnd: utf8.encode("b0"), startIndex: BigInt(lastOldIndex) });
  const answers = [];
  for await (const answer of watch) {
    answers.push(answer);
    if (answer.kind.case === "compacted" || answers.length > 3) break;
  }
  const compacted = answers.find((a) => a.kind.case === "compacted");
  expect(compacted?.kind.case === "compacted" ? Number(compacted.kind.value.compactIndex) : 0).toBe(result.index + 1);
  // So is a blocking query: it answers at once, saying how far back the history goes.
  const blocking = await fetch(`http://${r1.endpoint}/v1/kv/b%2F1?index=${lastOldIndex}&wait=5s`);
  expect(blocking.headers.get("x-raftkv-compacted")).toBe(String(result.index + 1));

  // Grow it: a new member joins and catches up by snapshot.
  const r2 = new ServeProcess({
    id: "r2",
    dataDir: join(cluster.root, "restored-r2"),
    flags: ["--raft-listen", `127.0.0.1:${freePort()}`, "--join", r1.endpoint, ...fastRaftFlags],
  });
  restored.push(r2);
  await r2.start();
  await eventually(
    "r2 to hold the restored keys",
    async () => {
      const copy = await r2.client().range({ prefix: utf8.encode("b/"), limit: 0, consistency: Consistency.STALE }, { timeoutMs: 3000 });
      return copy.kvs.length === header.keys ? true : undefined;
    },
    30_000,
  );
  const members = await r1.clusterClient().getConfiguration({});
  expect(members.members.map((m) => m.id).sort()).toEqual(["r1", "r2"]);
  // The old cluster is untouched by all this.
  expect((await leader.client().get({ key: utf8.encode("after-restore") })).found).toBe(false);
}, 180_000);
