import type { SnapshotDescriptor, SnapshotMeta } from "../storage/snapshot-meta.ts";
import type { FileDigest, OpenedSnapshot, SnapshotLog } from "../storage/snapshot-store.ts";

/** A snapshot arriving in chunks; nothing of it is listed until commit. */
export interface SnapshotSinkPort {
  /** Bytes written so far (the next chunk's offset). */
  readonly size: number;
  write(chunk: Uint8Array): void;
  /** Durable and listed; throws (and discards) on a checksum mismatch. */
  commit(): SnapshotMeta;
  abort(): void;
}

/**
 * Where snapshot files live (a directory in a node, memory in the
 * simulator). Listing a file says nothing about whether the node's log
 * vouches for it: that is the log store's snapshot records.
 */
export interface SnapshotFiles {
  /** Where the files are, for messages. */
  readonly dir: string;
  list(): SnapshotMeta[];
  open(id: string): Promise<OpenedSnapshot>;
  newestValid(log?: SnapshotLog, accept?: (meta: SnapshotMeta) => boolean): Promise<OpenedSnapshot | undefined>;
  readChunks(id: string, chunkSize: number): AsyncGenerator<Uint8Array>;
  createSink(descriptor: SnapshotDescriptor, expectedChecksum?: string): SnapshotSinkPort;
  /** A fresh location for a state machine copy, handed to importFile. */
  tempPath(): string;
  importFile(tempPath: string, descriptor: SnapshotDescriptor, written?: FileDigest): Promise<SnapshotMeta>;
  /** Removes a temp file that will not be imported. */
  discard(tempPath: string): void;
  /** Removes a listed snapshot. */
  remove(id: string): void;
}
