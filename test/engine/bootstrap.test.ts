import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { bootstrapLog, parseInitialCluster, resolveClusterId } from "../../src/engine/bootstrap.ts";
import { decodeMembership } from "../../src/raft/membership-codec.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const dirs: string[] = [];
const stores: RaftLogStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

function freshStore(name: string): RaftLogStore {
  const dir = tempDir(`bootstrap-${name}`);
  dirs.push(dir);
  const store = RaftLogStore.open(join(dir, "raft.db"));
  stores.push(store);
  return store;
}

const initial = parseInitialCluster("n1=127.0.0.1:50051, n2=127.0.0.1:50052,n3=127.0.0.1:50053");

test("--initial-cluster parses and rejects malformed or duplicate items", () => {
  expect(initial).toEqual([
    { id: "n1", raftAddress: "127.0.0.1:50051" },
    { id: "n2", raftAddress: "127.0.0.1:50052" },
    { id: "n3", raftAddress: "127.0.0.1:50053" },
  ]);
  expect(parseInitialCluster("")).toEqual([]);
  expect(() => parseInitialCluster("n1=a:1,n2")).toThrow(/expected id=host:port, got "n2"/);
  expect(() => parseInitialCluster("n1=a:1,n1=b:2")).toThrow(/appears twice/);
});

test("every initial member writes the identical first entry and agrees on the cluster id", () => {
  const written = ["n1", "n2", "n3"].map((id) => {
    const store = freshStore(id);
    const clusterId = resolveClusterId(store, initial);
    expect(
      bootstrapLog(store, { selfId: id, initialCluster: initial, raftAddress: "ignored", clientAddress: "ignored", incarnation: `inc-${id}` }, clusterId),
    ).toBe(true);
    return { clusterId, entry: store.entries(1, 2)[0], hardState: store.hardState() };
  });
  const [first] = written;
  for (const w of written) {
    expect(w.clusterId).toBe(first?.clusterId ?? "");
    expect(w.entry).toEqual(first?.entry);
    expect(w.hardState).toEqual({ term: 1, vote: "", commit: 1 });
  }
  const entry = first?.entry;
  if (entry === undefined) throw new Error("no first entry");
  expect(decodeMembership(entry).members).toEqual(initial.map((m) => ({ id: m.id, suffrage: "voter", raftAddress: m.raftAddress, clientAddress: "" })));
});

test("a node with data ignores --initial-cluster and keeps its cluster id", () => {
  const store = freshStore("restart");
  const alone = resolveClusterId(store, undefined);
  bootstrapLog(store, { selfId: "solo", raftAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2", incarnation: "inc-solo" }, alone);
  const before = store.entries(1, 2);
  const again = resolveClusterId(store, initial);
  expect(again).toBe(alone);
  expect(bootstrapLog(store, { selfId: "solo", initialCluster: initial, raftAddress: "x", clientAddress: "y", incarnation: "inc-solo" }, again)).toBe(false);
  expect(store.lastIndex()).toBe(1);
  expect(store.entries(1, 2)).toEqual(before);
  const only = before[0];
  if (only === undefined) throw new Error("no entry");
  expect(decodeMembership(only).members).toEqual([
    { id: "solo", suffrage: "voter", raftAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2", incarnation: "inc-solo" },
  ]);
});

test("an initial cluster that does not list this node is refused", () => {
  const store = freshStore("stranger");
  expect(() => bootstrapLog(store, { selfId: "n9", initialCluster: initial, raftAddress: "", clientAddress: "", incarnation: "inc-n9" }, "c")).toThrow(
    /does not list this node's id "n9"/,
  );
  expect(store.lastIndex()).toBe(0);
});

test("a log without a configuration entry (0.1 single-node data) is refused with a clear error", () => {
  const store = freshStore("legacy");
  store.persist({ hardState: { term: 1, vote: "node1", commit: 0 }, entries: [{ index: 1, term: 1, kind: "normal", data: new Uint8Array([1]) }] });
  expect(() =>
    bootstrapLog(store, { selfId: "node1", raftAddress: "a:1", clientAddress: "b:2", incarnation: "inc-1" }, resolveClusterId(store, undefined)),
  ).toThrow(/without a cluster configuration/);
});
