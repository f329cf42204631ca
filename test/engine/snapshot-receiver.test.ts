import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { decodePeerPayload, encodePeerPayload, type PeerPayload, type SnapshotAck } from "../../src/engine/peer-message-codec.ts";
import { RaftSnapshotReceiver } from "../../src/engine/snapshot-receiver.ts";
import type { InstallSnapshot } from "../../src/raft/message.ts";
import type { SnapshotMeta } from "../../src/raft/snapshot-meta.ts";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const snapshot: SnapshotMeta = {
  index: 120,
  term: 3,
  membership: { index: 1, members: [{ id: "n1", suffrage: "voter", raftAddress: "127.0.0.1:1", clientAddress: "c:1" }] },
};

function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

let dir: string | undefined;

afterEach(() => {
  if (dir !== undefined) removeDir(dir);
  dir = undefined;
});

function receiver(): { store: FileSnapshotStore; delivered: InstallSnapshot[]; acks: SnapshotAck[]; receiver: RaftSnapshotReceiver } {
  dir = tempDir("raft-snap-recv");
  const store = FileSnapshotStore.open(join(dir, "snapshots"));
  const delivered: InstallSnapshot[] = [];
  const acks: SnapshotAck[] = [];
  const r = new RaftSnapshotReceiver(
    "n2",
    store,
    () => true,
    (m) => delivered.push(m),
    (_to, ack) => acks.push(ack),
    undefined,
  );
  return { store, delivered, acks, receiver: r };
}

function chunk(data: Uint8Array, offset: number, last: boolean, checksum: string) {
  return { kind: "snapshotChunk" as const, from: "n1", term: 4, snapshot, checksum, offset, data, last };
}

describe("snapshot chunks", () => {
  test("chunk and ack payloads round-trip through the peer codec", () => {
    const payloads: PeerPayload[] = [
      chunk(new Uint8Array([1, 2, 3]), 4096, true, "ab".repeat(32)),
      { kind: "snapshotAck", from: "n2", index: 120, term: 3, nextOffset: 4099, ok: false },
    ];
    for (const p of payloads) expect(decodePeerPayload(encodePeerPayload(p))).toEqual(p);
  });

  test("a snapshot received whole and intact is stored and handed to the core", async () => {
    const { store, delivered, acks, receiver: r } = receiver();
    const data = crypto.getRandomValues(new Uint8Array(10_000));
    const checksum = sha256(data);
    await r.onChunk("n1", chunk(data.subarray(0, 6000), 0, false, checksum));
    await r.onChunk("n1", chunk(data.subarray(6000), 6000, true, checksum));
    expect(acks.map((a) => [a.ok, a.nextOffset])).toEqual([
      [true, 6000],
      [true, 10_000],
    ]);
    expect(delivered).toEqual([{ kind: "installSnapshot", from: "n1", to: "n2", term: 4, snapshot }]);
    expect(store.list().map((m) => [m.index, m.term, m.checksum])).toEqual([[120, 3, checksum]]);
    expect(r.take(120, 3)?.meta.checksum).toBe(checksum);
  });

  test("a checksum mismatch discards the data, refuses the snapshot and never reaches the core", async () => {
    const { store, delivered, acks, receiver: r } = receiver();
    const data = crypto.getRandomValues(new Uint8Array(5000));
    const corrupted = data.slice();
    corrupted[100] = (corrupted[100] ?? 0) ^ 0xff;
    await r.onChunk("n1", chunk(corrupted, 0, true, sha256(data)));
    expect(acks.map((a) => a.ok)).toEqual([false]);
    expect(delivered).toEqual([]);
    expect(store.list()).toEqual([]);
  });

  test("a chunk after a gap is refused", async () => {
    const { delivered, acks, receiver: r } = receiver();
    const data = new Uint8Array(3000);
    await r.onChunk("n1", chunk(data.subarray(0, 1000), 0, false, sha256(data)));
    await r.onChunk("n1", chunk(data.subarray(2000), 2000, true, sha256(data)));
    expect(acks.map((a) => [a.ok, a.nextOffset])).toEqual([
      [true, 1000],
      [false, 1000],
    ]);
    expect(delivered).toEqual([]);
  });
});
