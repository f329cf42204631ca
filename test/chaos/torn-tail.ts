import { appendFileSync, existsSync, readFileSync, truncateSync } from "node:fs";
import type { SeededRandom } from "../../src/random/seeded-random.ts";
import { readWalIndex } from "./wal-index.ts";
import { readWalLayout } from "./wal-layout.ts";

export type TornTailAction = "cut" | "appended-partial-frame" | "lost-unsynced-commits" | "no-wal";

export interface TornTail {
  readonly file: string;
  readonly action: TornTailAction;
  readonly sizeBefore: number;
  readonly sizeAfter: number;
  readonly committedEnd: number;
  /** Committed transactions removed (only for lost-unsynced-commits). */
  readonly lostCommits?: number;
}

/**
 * Simulates a torn write in a killed node's WAL file — honestly.
 *
 * A kill -9 loses no written bytes (the page cache survives the process);
 * what a power cut can tear is only what was not yet fsynced. With
 * synchronous=FULL, SQLite returns from COMMIT only after the commit frame
 * is written and fsynced, and raftkv acknowledges a write only after that
 * return — so every byte up to the last valid commit frame may have been
 * acknowledged and must NOT be cut (cutting it would be a fault the store
 * promises nothing about: losing fsynced data). Recording "the WAL size at
 * the last ack" would not work either: after a checkpoint SQLite rewrites the
 * WAL from its start, so file size is not a write position.
 *
 * So the WAL is parsed as SQLite's recovery parses it (salts + checksum
 * chain), and only bytes after the last valid commit frame are touched:
 * - if there are any (an in-progress transaction caught mid-write, or stale
 *   frames of an older WAL generation), a few hundred bytes are cut from the
 *   tail, never below the committed end: the file then ends in a partial
 *   frame, as after a torn write();
 * - if the kill fell between transactions (nothing unsynced), a partial
 *   frame is appended instead — a frame header with the live salts and the
 *   commit flag set, followed by fewer bytes than a page — as if the next
 *   transaction's first write() had been torn by the power cut.
 * Either way the node must recover to exactly the committed prefix (or
 * refuse to start with a clear error); the history checker then verifies it
 * never serves anything that contradicts acknowledged writes.
 *
 * Not simulated: tearing a committed-but-unacknowledged transaction (possible
 * under power loss while its fsync ran); it would need proof that nothing
 * downstream (kv.db's applied index, an ack) depended on it.
 */
export function tearWalTail(walFile: string, prng: SeededRandom): TornTail {
  if (!existsSync(walFile)) return { file: walFile, action: "no-wal", sizeBefore: 0, sizeAfter: 0, committedEnd: 0 };
  const bytes = readFileSync(walFile);
  const layout = readWalLayout(bytes);
  const unsynced = layout.size - layout.committedEnd;
  if (unsynced > 0) {
    const sizeAfter = Math.max(layout.committedEnd, layout.size - prng.between(100, 600));
    truncateSync(walFile, sizeAfter);
    return { file: walFile, action: "cut", sizeBefore: layout.size, sizeAfter, committedEnd: layout.committedEnd };
  }
  if (layout.pageSize === 0) return { file: walFile, action: "no-wal", sizeBefore: layout.size, sizeAfter: layout.size, committedEnd: 0 };
  const frame = partialFrame(layout.salt1, layout.salt2, layout.pageSize, prng);
  appendFileSync(walFile, frame);
  return { file: walFile, action: "appended-partial-frame", sizeBefore: layout.size, sizeAfter: layout.size + frame.length, committedEnd: layout.committedEnd };
}

/**
 * The state machine's database (kv.db) runs with synchronous=NORMAL: its
 * commits are NOT fsynced, only checkpoints sync the WAL (before copying
 * frames back). A power cut may therefore lose any suffix of the
 * transactions committed after the last synced frame — by design, since the
 * engine replays the fsynced Raft log above the state machine's durable
 * applied index. This fault does exactly that: it reads the synced frame
 * count from the crashed process's -shm file, picks a commit boundary at or
 * after it, and cuts the WAL there (plus a partial frame of junk length, as a
 * torn write). When the -shm does not describe this WAL generation, it falls
 * back to `tearWalTail` (only uncommitted bytes).
 */
export function loseUnsyncedCommits(walFile: string, shmFile: string, prng: SeededRandom): TornTail {
  if (!existsSync(walFile) || !existsSync(shmFile)) return tearWalTail(walFile, prng);
  const bytes = readFileSync(walFile);
  const layout = readWalLayout(bytes);
  const index = readWalIndex(readFileSync(shmFile));
  if (index === undefined || layout.pageSize === 0 || !index.salt.every((b, i) => b === bytes[16 + i])) return tearWalTail(walFile, prng);
  const syncedEnd = 32 + index.syncedFrames * layout.frameBytes;
  const candidates = layout.commitEnds.filter((end) => end >= syncedEnd);
  if (candidates.length === 0) return tearWalTail(walFile, prng);
  // Lose at least one commit whenever the synced frontier allows it: a fault that removes nothing tests nothing.
  const losable = candidates.slice(0, -1);
  const boundary = losable.length > 0 ? prng.pick(losable) : (candidates[candidates.length - 1] ?? layout.committedEnd);
  const sizeAfter = Math.min(layout.size, boundary + prng.between(0, layout.frameBytes - 1));
  truncateSync(walFile, sizeAfter);
  const lost = layout.commitEnds.filter((end) => end > boundary).length;
  return { file: walFile, action: "lost-unsynced-commits", sizeBefore: layout.size, sizeAfter, committedEnd: boundary, lostCommits: lost };
}

function partialFrame(salt1: number, salt2: number, pageSize: number, prng: SeededRandom): Uint8Array {
  const pageBytes = Math.min(pageSize - 1, prng.between(100, 600));
  const frame = new Uint8Array(24 + pageBytes);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 1); // page 1
  view.setUint32(4, 2); // a commit frame: database size 2 pages
  view.setUint32(8, salt1);
  view.setUint32(12, salt2);
  view.setUint32(16, Math.floor(prng.next() * 4294967296)); // checksums that cannot match
  view.setUint32(20, Math.floor(prng.next() * 4294967296));
  for (let i = 24; i < frame.length; i++) frame[i] = Math.floor(prng.next() * 256);
  return frame;
}
