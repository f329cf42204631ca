/**
 * The committed extent of an SQLite WAL file, read the way SQLite's recovery
 * reads it (https://www.sqlite.org/fileformat2.html#walformat): frames are
 * taken in order while their salts match the header and their cumulative
 * checksums hold; only frames up to the last valid commit frame count.
 */
export interface WalLayout {
  readonly size: number;
  /** 0 when the header is missing or invalid (SQLite then ignores the whole WAL). */
  readonly pageSize: number;
  /** Byte offset just past the last valid commit frame (32, the header, when none). */
  readonly committedEnd: number;
  readonly committedFrames: number;
  readonly commits: number;
  /** Byte offset just past each valid commit frame, in order. */
  readonly commitEnds: readonly number[];
  /** Size of one frame (header + page). */
  readonly frameBytes: number;
  readonly salt1: number;
  readonly salt2: number;
}

const headerBytes = 32;
const frameHeaderBytes = 24;

export function readWalLayout(bytes: Uint8Array): WalLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const empty: WalLayout = {
    size: bytes.length,
    pageSize: 0,
    committedEnd: 0,
    committedFrames: 0,
    commits: 0,
    commitEnds: [],
    frameBytes: 0,
    salt1: 0,
    salt2: 0,
  };
  if (bytes.length < headerBytes) return empty;
  const magic = view.getUint32(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return empty;
  const bigEndianChecksum = (magic & 1) === 1;
  const pageSize = view.getUint32(8);
  const salt1 = view.getUint32(16);
  const salt2 = view.getUint32(20);
  let [s0, s1] = checksum(view, bigEndianChecksum, 0, 24, 0, 0);
  if (s0 !== view.getUint32(24) || s1 !== view.getUint32(28)) return empty;

  const frameBytes = frameHeaderBytes + pageSize;
  let committedEnd = headerBytes;
  let committedFrames = 0;
  let commits = 0;
  let frames = 0;
  const commitEnds: number[] = [];
  for (let at = headerBytes; at + frameBytes <= bytes.length; at += frameBytes) {
    if (view.getUint32(at + 8) !== salt1 || view.getUint32(at + 12) !== salt2) break;
    [s0, s1] = checksum(view, bigEndianChecksum, at, 8, s0, s1);
    [s0, s1] = checksum(view, bigEndianChecksum, at + frameHeaderBytes, pageSize, s0, s1);
    if (s0 !== view.getUint32(at + 16) || s1 !== view.getUint32(at + 20)) break;
    frames++;
    if (view.getUint32(at + 4) !== 0) {
      commits++;
      committedFrames = frames;
      committedEnd = at + frameBytes;
      commitEnds.push(committedEnd);
    }
  }
  return { size: bytes.length, pageSize, committedEnd, committedFrames, commits, commitEnds, frameBytes, salt1, salt2 };
}

function checksum(view: DataView, bigEndian: boolean, offset: number, length: number, s0: number, s1: number): [number, number] {
  let a = s0;
  let b = s1;
  for (let i = offset; i < offset + length; i += 8) {
    a = (a + view.getUint32(i, !bigEndian) + b) >>> 0;
    b = (b + view.getUint32(i + 4, !bigEndian) + a) >>> 0;
  }
  return [a, b];
}
