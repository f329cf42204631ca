import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SnapshotAck, SnapshotChunk } from "../../src/engine/peer-message-codec.ts";
import { systemScheduler } from "../../src/engine/scheduler.ts";
import { RaftSnapshotReceiver } from "../../src/engine/snapshot-receiver.ts";
import { RaftSnapshotSender } from "../../src/engine/snapshot-sender.ts";
import type { Membership } from "../../src/raft/membership.ts";
import type { InstallSnapshot } from "../../src/raft/message.ts";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const membership: Membership = {
  index: 1,
  members: [{ id: "n1", suffrage: "voter", raftAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2" }],
};
const CHUNK_BYTES = 1000;

let dir: string | undefined;

afterEach(() => {
  if (dir !== undefined) removeDir(dir);
  dir = undefined;
});

/** Which frames a link reset loses: the n-th chunk sent (1-based) or the ack of the n-th chunk received. */
interface Losses {
  readonly chunks: ReadonlySet<number>;
  readonly acks: ReadonlySet<number>;
}

/**
 * A leader's sender and a follower's receiver, each on its own real snapshot
 * store, joined by a link that loses the frames named in `losses` (once each).
 */
async function transfer(losses: Losses, maxResends = 5) {
  dir = tempDir("raft-snap-send");
  const leaderStore = FileSnapshotStore.open(join(dir, "leader"));
  const followerStore = FileSnapshotStore.open(join(dir, "follower"));
  const data = crypto.getRandomValues(new Uint8Array(5 * CHUNK_BYTES + 300));
  const temp = leaderStore.tempPath();
  writeFileSync(temp, data);
  const meta = await leaderStore.importFile(temp, { index: 500, term: 2, membership });

  const reports: boolean[] = [];
  const delivered: InstallSnapshot[] = [];
  const sentOffsets: number[] = [];
  let chunksSent = 0;
  let acksSeen = 0;
  let sender: RaftSnapshotSender | undefined;
  const receiver = new RaftSnapshotReceiver(
    "n2",
    followerStore,
    () => true,
    (message) => delivered.push(message),
    (_to, ack: SnapshotAck) => {
      acksSeen++;
      if (losses.acks.has(acksSeen)) return;
      setTimeout(() => sender?.onAck("n2", ack), 1);
    },
    undefined,
  );
  sender = new RaftSnapshotSender(
    leaderStore,
    systemScheduler,
    CHUNK_BYTES,
    (_to, chunk: SnapshotChunk) => {
      chunksSent++;
      sentOffsets.push(chunk.offset);
      if (!losses.chunks.has(chunksSent)) setTimeout(() => void receiver.onChunk("n1", chunk), 1);
      return true;
    },
    (_peer, ok) => reports.push(ok),
    undefined,
    { ackTimeoutMs: 30, maxResends },
  );
  sender.start({ kind: "installSnapshot", from: "n1", to: "n2", term: 2, snapshot: { index: 500, term: 2, membership } });
  await eventually("the transfer's report", () => reports.length > 0, 5000, 5);
  return { meta, reports, delivered, sentOffsets, followerStore };
}

test("a transfer over a clean link sends each chunk once and installs the snapshot", async () => {
  const { meta, reports, delivered, sentOffsets, followerStore } = await transfer({ chunks: new Set(), acks: new Set() });
  expect(reports).toEqual([true]);
  expect(sentOffsets).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
  expect(delivered.length).toBe(1);
  expect(followerStore.list().map((m) => m.checksum)).toEqual([meta.checksum]);
});

test("a lost chunk and lost acks (the last one too) are made good by resending; the follower installs once", async () => {
  // The 3rd chunk sent (offset 2000) lost; the 5th and 7th acks (for offsets 4000 and 5000, the last) lost.
  const { meta, reports, delivered, sentOffsets, followerStore } = await transfer({ chunks: new Set([3]), acks: new Set([5, 7]) });
  expect(reports).toEqual([true]);
  expect(sentOffsets).toEqual([0, 1000, 2000, 2000, 3000, 4000, 4000, 5000, 5000]);
  expect(delivered.length).toBe(1);
  expect(followerStore.list().map((m) => m.checksum)).toEqual([meta.checksum]);
});

test("a chunk that is never acknowledged fails the transfer after the allowed resends", async () => {
  const { reports, delivered, sentOffsets } = await transfer({ chunks: new Set([2, 3, 4]), acks: new Set() }, 2);
  expect(reports).toEqual([false]);
  expect(sentOffsets).toEqual([0, 1000, 1000, 1000]);
  expect(delivered).toEqual([]);
});
