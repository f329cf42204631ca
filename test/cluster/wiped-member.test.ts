import { afterEach, describe, expect, test } from "bun:test";
import { Suffrage } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir } from "../support/temp-dir.ts";
import { fastRaftFlags, ProxiedCluster } from "./proxied-cluster.ts";
import { ServeProcess } from "./serve-process.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder();
const key = utf8.encode("x");

let cluster: ProxiedCluster | undefined;
const extra: ServeProcess[] = [];
afterEach(async () => {
  for (const node of extra.splice(0)) await node.kill();
  await cluster?.stop();
  cluster = undefined;
});

/** A new process for `id`'s data dir and Raft port (behind its proxy), with other start flags. */
function replacement(c: ProxiedCluster, id: string, flags: readonly string[]): ServeProcess {
  const member = c.member(id);
  const node = new ServeProcess({
    id,
    dataDir: member.process.dataDir,
    // A joining node serves only once the cluster has added it.
    startTimeoutMs: 120_000,
    flags: ["--raft-listen", `127.0.0.1:${member.raftPort}`, "--advertise-raft", member.proxy.address, ...flags, ...fastRaftFlags],
  });
  extra.push(node);
  return node;
}

async function readX(node: ServeProcess): Promise<string | undefined> {
  const answer = await node.client().get({ key, consistency: Consistency.LINEARIZABLE }, { timeoutMs: 3000 });
  return answer.found ? text.decode(answer.kv?.value) : undefined;
}

/** The incarnation the configuration records for `id`, as `asked` reports it. */
async function recordedIncarnation(asked: ServeProcess, id: string): Promise<string | undefined> {
  const configuration = await asked.clusterClient().getConfiguration({}, { timeoutMs: 3000 });
  const member = configuration.members.find((m) => m.id === id);
  return member === undefined ? undefined : `${member.suffrage === Suffrage.VOTER ? "voter" : "nonvoter"}/${member.incarnation}`;
}

describe("a member whose data dir was lost", () => {
  test("comes back under its id with --join: it never votes for what it lost; it is re-added and caught up, and no acknowledged write is lost", async () => {
    const c = await ProxiedCluster.start({ size: 3 });
    cluster = c;
    // Everyone records everyone's incarnation before the trouble starts.
    await c.awaitLeader();
    const before = await eventually("n3's incarnation recorded", async () => {
      const recorded = await recordedIncarnation(c.node("n1"), "n3");
      return recorded !== undefined && recorded !== "voter/" ? recorded : undefined;
    });

    // n2 hears nothing: X is committed by n1 and n3 alone.
    c.isolate("n2");
    const leader = await c.awaitLeader([c.node("n1"), c.node("n3")]);
    await leader.client().put({ key, value: utf8.encode("acknowledged") }, { timeoutMs: 5000 });

    // n3 loses its disk; n1 dies before anything could copy X back to n3.
    await c.node("n3").kill();
    removeDir(c.node("n3").dataDir);
    await c.node("n1").kill();
    c.heal();

    // The wiped n3 asks to join again under its id; only n2 (without X) is there to hear it.
    const wiped = replacement(c, "n3", ["--join", c.node("n2").endpoint, "--join-timeout", "120s"]);
    const joined = wiped.start();
    // n2 and the empty n3 are two of three voters, but n3 lost what it acknowledged: they must not elect a leader.
    await eventually("the empty n3 asking to join", async () => (wiped.hasLogged("joining cluster") ? true : undefined));
    for (let i = 0; i < 16; i++) {
      expect(await ProxiedCluster.leaderSeenBy(c.node("n2"))).toBe("");
      await Bun.sleep(250);
    }

    // n1 is back: the cluster has a quorum that holds X, re-admits n3 as a new incarnation, and X is everywhere.
    await c.node("n1").start();
    await joined;
    await eventually(
      "n3 re-added as a voter under its new incarnation",
      async () => {
        const recorded = await recordedIncarnation(c.node("n1"), "n3").catch(() => undefined);
        return recorded?.startsWith("voter/") && recorded !== before ? recorded : undefined;
      },
      40_000,
    );
    for (const node of [c.node("n1"), c.node("n2"), wiped]) {
      expect(await eventually(`x readable on ${node.id}`, () => readX(node).catch(() => undefined), 20_000)).toBe("acknowledged");
    }
    expect(wiped.logLines().some((l) => l.msg === "member n1 refuses this node" || l.msg === "member n2 refuses this node")).toBe(true);
  }, 120_000);

  test("restarted with the same --initial-cluster on an empty dir, it is refused by its peers and the cluster keeps its data", async () => {
    const c = await ProxiedCluster.start({ size: 3 });
    cluster = c;
    const leader = await c.awaitLeader();
    await leader.client().put({ key, value: utf8.encode("kept") }, { timeoutMs: 5000 });
    await eventually("n3's incarnation recorded", async () => {
      const recorded = await recordedIncarnation(c.node("n1"), "n3");
      return recorded !== undefined && recorded !== "voter/" ? recorded : undefined;
    });
    await c.node("n3").kill();
    removeDir(c.node("n3").dataDir);
    const initialCluster = c.nodes.map((n) => `${n.id}=${c.member(n.id).proxy.address}`).join(",");
    const rebootstrapped = replacement(c, "n3", ["--initial-cluster", initialCluster]);
    await rebootstrapped.start();
    await eventually("the re-created n3 told it is refused", async () =>
      rebootstrapped.logLines().some((l) => l.msg?.startsWith("member ") === true && l.msg.endsWith(" refuses this node")) ? true : undefined,
    );
    // The two intact members keep their leader and data; the refused node never leads.
    const survivor = await c.awaitLeader([c.node("n1"), c.node("n2")]);
    expect(await readX(survivor)).toBe("kept");
    for (let i = 0; i < 8; i++) {
      expect(await ProxiedCluster.leaderSeenBy(rebootstrapped)).not.toBe("n3");
      await Bun.sleep(250);
    }
  }, 90_000);
});
