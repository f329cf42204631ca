/**
 * What a crashed process's `-shm` (wal-index) file says about checkpointing:
 * how many frames of the current WAL generation were already copied into the
 * database file (nBackfill). Layout: https://www.sqlite.org/walformat.html
 * (two 48-byte WalIndexHdr copies, then WalCkptInfo; native byte order).
 */
export interface WalIndexInfo {
  /**
   * Frames of the current generation known to be fsynced: a checkpoint syncs
   * the WAL before it copies frames back, so max(nBackfill,
   * nBackfillAttempted) frames survive a power cut even with synchronous=NORMAL.
   */
  readonly syncedFrames: number;
  /** The WAL header salts this index describes, as raw WAL bytes 16..23. */
  readonly salt: Uint8Array;
}

const headerBytes = 48;
const checkpointInfoOffset = 2 * headerBytes;

/** Undefined when the file is too short or its two header copies disagree (mid-update). */
export function readWalIndex(shm: Uint8Array): WalIndexInfo | undefined {
  if (shm.length < checkpointInfoOffset + 36) return undefined;
  const first = shm.subarray(0, headerBytes);
  const second = shm.subarray(headerBytes, 2 * headerBytes);
  if (!first.every((b, i) => b === second[i])) return undefined;
  const view = new DataView(shm.buffer, shm.byteOffset, shm.byteLength);
  const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  return {
    syncedFrames: Math.max(view.getUint32(checkpointInfoOffset, littleEndianHost), view.getUint32(checkpointInfoOffset + 32, littleEndianHost)),
    salt: shm.slice(32, 40),
  };
}
