/**
 * Raft core throughput (not a test): proposals committed per second of CPU
 * for an in-process 3- and 5-node cluster with no faults, proposals in
 * batches of 64, every node's Ready handled in memory (MemoryStorage, an
 * in-memory state machine, direct message passing). Run:
 *   bun bench/raft-core.bench.ts [--entries 2000000]
 */
import { MemoryStorage } from "../src/raft/memory-storage.ts";
import type { Message } from "../src/raft/message.ts";
import { bootstrapEntries, RawNode } from "../src/raft/raw-node.ts";

interface BenchNode {
  readonly storage: MemoryStorage;
  readonly raw: RawNode;
  applied: number;
}

function cluster(size: number): Map<string, BenchNode> {
  const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const boot = bootstrapEntries(ids.map((id) => ({ id, suffrage: "voter", raftAddress: id, clientAddress: id })));
  const nodes = new Map<string, BenchNode>();
  let seed = 1;
  for (const id of ids) {
    const storage = new MemoryStorage();
    storage.append(boot.entries);
    storage.setHardState(boot.hardState);
    const s = seed++;
    let x = s;
    const random = (): number => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    nodes.set(id, { storage, raw: new RawNode({ id, storage, electionTicks: 10, heartbeatTicks: 1, random }), applied: 0 });
  }
  return nodes;
}

/** One pass of the engine loop over every node; returns the messages to deliver next. */
function pump(nodes: Map<string, BenchNode>): Message[] {
  const out: Message[] = [];
  for (const node of nodes.values()) {
    while (node.raw.hasReady()) {
      const rd = node.raw.ready();
      for (const m of rd.messages) out.push(m);
      node.storage.append(rd.entries);
      if (rd.hardState !== undefined) node.storage.setHardState(rd.hardState);
      for (const m of rd.messagesAfterPersist) out.push(m);
      node.applied += rd.committedEntries.length;
      node.raw.advance(rd);
    }
  }
  return out;
}

function run(size: number, totalEntries: number): { entriesPerCpuSecond: number; cpuSeconds: number; messages: number } {
  const nodes = cluster(size);
  const leader = nodes.get("n1");
  if (leader === undefined) throw new Error("no n1");
  leader.raw.campaign();
  let inbox = pump(nodes);
  for (let i = 0; i < 20 && inbox.length > 0; i++) {
    for (const m of inbox) nodes.get(m.to)?.raw.step(m);
    inbox = pump(nodes);
  }
  if (leader.raw.role() !== "leader") throw new Error("n1 did not become leader");
  const batch = Array.from({ length: 64 }, (_, i) => new TextEncoder().encode(`value-${i}-0123456789abcdef`));
  const startCommit = leader.raw.log().committed;
  const target = startCommit + totalEntries;
  let messages = 0;
  const cpuBefore = process.cpuUsage();
  let proposed = 0;
  while (leader.raw.log().committed < target) {
    if (proposed < totalEntries) {
      const r = leader.raw.proposeBatch(batch);
      if (!r.ok) throw new Error(r.refusal.message);
      proposed += batch.length;
    }
    inbox = pump(nodes);
    messages += inbox.length;
    for (const m of inbox) nodes.get(m.to)?.raw.step(m);
    if (leader.storage.lastIndex() - 4096 > leader.storage.firstIndex()) {
      // Keep memory flat: snapshot + compact as an engine would.
      const at = leader.raw.log().applied;
      for (const n of nodes.values()) {
        const applied = n.raw.log().applied;
        const term = n.storage.term(applied);
        if (term === undefined) continue;
        n.storage.createSnapshot({ index: applied, term, membership: n.raw.membership() }, new Uint8Array(0));
        n.storage.compact(Math.min(applied, at) - 1024);
      }
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { entriesPerCpuSecond: totalEntries / cpuSeconds, cpuSeconds, messages };
}

const argIndex = process.argv.indexOf("--entries");
const entries = argIndex >= 0 ? Number(process.argv[argIndex + 1]) : 1_000_000;
run(3, 200_000); // warm-up (JIT)
run(5, 200_000);
for (const size of [3, 5]) {
  const r = run(size, entries);
  console.log(
    `${size} nodes: ${Math.round(r.entriesPerCpuSecond).toLocaleString("en-US")} entries committed per CPU second ` +
      `(${entries.toLocaleString("en-US")} entries, batches of 64, ${r.cpuSeconds.toFixed(2)} s CPU, ${r.messages.toLocaleString("en-US")} messages)`,
  );
}
