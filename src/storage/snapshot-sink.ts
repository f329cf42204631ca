import { closeSync, fsyncSync, openSync, rmSync, writeSync } from "node:fs";
import type { SnapshotDescriptor, SnapshotMeta } from "./snapshot-meta.ts";

/** Called by a sink on commit to put the fsynced data file in place and record it. */
export type SnapshotFinisher = (partialPath: string, descriptor: SnapshotDescriptor, size: number, checksum: string) => SnapshotMeta;

/**
 * Receives a snapshot in chunks (InstallSnapshot). Bytes go to a ".partial"
 * file that the store never lists, so a sink that is abandoned or killed
 * mid-way leaves nothing that could be mistaken for a snapshot. The checksum
 * is computed while writing; commit compares it with the sender's before the
 * snapshot becomes visible.
 */
export class SnapshotSink {
  readonly #partialPath: string;
  readonly #descriptor: SnapshotDescriptor;
  readonly #expectedChecksum: string | undefined;
  readonly #finish: SnapshotFinisher;
  readonly #hasher = new Bun.CryptoHasher("sha256");
  #fd: number | undefined;
  #size = 0;
  #state: "open" | "committed" | "aborted" = "open";

  constructor(partialPath: string, descriptor: SnapshotDescriptor, expectedChecksum: string | undefined, finish: SnapshotFinisher) {
    if (expectedChecksum !== undefined && !/^[0-9a-f]{64}$/.test(expectedChecksum)) {
      throw new Error(`expected checksum must be a lowercase SHA-256 hex digest, got ${JSON.stringify(expectedChecksum)}`);
    }
    this.#partialPath = partialPath;
    this.#descriptor = descriptor;
    this.#expectedChecksum = expectedChecksum;
    this.#finish = finish;
    this.#fd = openSync(partialPath, "wx");
  }

  /** Bytes written so far (the offset the next chunk goes to). */
  get size(): number {
    return this.#size;
  }

  write(chunk: Uint8Array): void {
    const fd = this.#openFd("write");
    let offset = 0;
    while (offset < chunk.length) {
      offset += writeSync(fd, chunk, offset, chunk.length - offset);
    }
    this.#hasher.update(chunk);
    this.#size += chunk.length;
  }

  /**
   * Makes the snapshot durable and visible. On a checksum mismatch the data is
   * discarded and an error names both digests.
   */
  commit(): SnapshotMeta {
    const fd = this.#openFd("commit");
    const checksum = this.#hasher.digest("hex");
    if (this.#expectedChecksum !== undefined && checksum !== this.#expectedChecksum) {
      this.abort();
      throw new Error(
        `snapshot at index ${this.#descriptor.index} (term ${this.#descriptor.term}) failed its checksum: ` +
          `received ${this.#size} bytes with sha256 ${checksum}, expected ${this.#expectedChecksum}; discarded`,
      );
    }
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      this.#fd = undefined;
    }
    try {
      const meta = this.#finish(this.#partialPath, this.#descriptor, this.#size, checksum);
      this.#state = "committed";
      return meta;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Discards what was received. Safe to call more than once. */
  abort(): void {
    if (this.#state === "committed") return;
    this.#state = "aborted";
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    rmSync(this.#partialPath, { force: true });
  }

  #openFd(action: string): number {
    if (this.#state !== "open" || this.#fd === undefined) {
      throw new Error(`cannot ${action}: snapshot sink for index ${this.#descriptor.index} is ${this.#state}`);
    }
    return this.#fd;
  }
}
