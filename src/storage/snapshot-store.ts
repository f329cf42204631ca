import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { SnapshotFiles } from "../engine/snapshot-files.ts";
import { errorMessage } from "../log/error-message.ts";
import { fsyncDir, fsyncFile } from "./fs-sync.ts";
import { compareNewestFirst, parseSnapshotMeta, type SnapshotDescriptor, type SnapshotMeta, serializeSnapshotMeta } from "./snapshot-meta.ts";
import { SnapshotSink } from "./snapshot-sink.ts";

export interface OpenedSnapshot {
  readonly meta: SnapshotMeta;
  /** The data file; read it, do not move or modify it. */
  readonly path: string;
}

/** A data file's length and lowercase hex SHA-256. */
export interface FileDigest {
  readonly size: number;
  readonly checksum: string;
}

export type SnapshotLog = (message: string, context: Record<string, unknown>) => void;

export interface FileSnapshotStoreOptions {
  /** How many snapshots to keep (newest first). Default 3. */
  readonly retain?: number;
  /** Clock for createdAtMs; injectable for tests. */
  readonly now?: () => number;
}

/** One entry of the directory: a parsed snapshot, or why it is not one. */
type ScannedSnapshot = { readonly kind: "ok"; readonly meta: SnapshotMeta } | { readonly kind: "broken"; readonly id: string; readonly reason: string };

const dataSuffix = ".snap";
const metaSuffix = ".json";
const partialSuffix = ".partial";

/**
 * Snapshots as files in one directory: `<id>.snap` (data, e.g. a SQLite copy)
 * and `<id>.json` (metadata). Visibility is the metadata file, written last:
 * data is written to a `.partial` file, fsynced, renamed to `.snap`, then the
 * metadata is written the same way and the directory fsynced. A crash at any
 * point leaves either a complete, listed snapshot or leftovers that are never
 * listed and are removed when the store is opened again.
 */
export class FileSnapshotStore implements SnapshotFiles {
  readonly #dir: string;
  readonly #retain: number;
  readonly #now: () => number;
  #sequence = 0;

  private constructor(dir: string, retain: number, now: () => number) {
    this.#dir = dir;
    this.#retain = retain;
    this.#now = now;
  }

  static open(dir: string, options: FileSnapshotStoreOptions = {}): FileSnapshotStore {
    const retain = options.retain ?? 3;
    if (!Number.isSafeInteger(retain) || retain < 1) {
      throw new RangeError(`snapshot retention must be a positive integer, got ${retain}`);
    }
    const absolute = resolve(dir);
    mkdirSync(absolute, { recursive: true });
    const store = new FileSnapshotStore(absolute, retain, options.now ?? Date.now);
    store.#removeLeftovers();
    return store;
  }

  get dir(): string {
    return this.#dir;
  }

  /**
   * A fresh path inside the store's directory for a snapshot being written
   * (e.g. the FSM's consistent copy), to hand to `importFile`. Never listed;
   * removed on the next open if abandoned.
   */
  tempPath(): string {
    return join(this.#dir, `tmp-${this.#now()}-${process.pid}-${++this.#sequence}${partialSuffix}`);
  }

  /**
   * Takes ownership of a finished file inside the store's directory: fsyncs
   * it, computes size and checksum, moves it into place, records the
   * metadata and prunes old snapshots. A writer that already fsynced and
   * hashed the file (off the event loop) passes `written`, and only its size
   * is checked here.
   */
  async importFile(tempPath: string, descriptor: SnapshotDescriptor, written?: FileDigest): Promise<SnapshotMeta> {
    validateDescriptor(descriptor);
    const absolute = resolve(tempPath);
    if (dirname(absolute) !== this.#dir) {
      throw new Error(`cannot import ${tempPath}: it must be inside the snapshot directory ${this.#dir} (atomic rename)`);
    }
    try {
      let digest = written;
      if (digest === undefined) {
        digest = await digestFile(absolute);
        fsyncFile(absolute);
      } else {
        const size = statSync(absolute).size;
        if (size !== digest.size) throw new Error(`the file has ${size} bytes, its writer reported ${digest.size}`);
        if (!/^[0-9a-f]{64}$/.test(digest.checksum))
          throw new Error(`its writer reported checksum ${JSON.stringify(digest.checksum)}, not a SHA-256 hex digest`);
      }
      return this.#finish(absolute, descriptor, digest.size, digest.checksum);
    } catch (err) {
      throw new Error(`importing snapshot file ${tempPath} (index ${descriptor.index}): ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /** A sink for a snapshot streamed from a leader; see SnapshotSink. */
  createSink(descriptor: SnapshotDescriptor, expectedChecksum?: string): SnapshotSink {
    validateDescriptor(descriptor);
    return new SnapshotSink(this.tempPath(), descriptor, expectedChecksum, (partial, d, size, checksum) => this.#finish(partial, d, size, checksum));
  }

  /** Complete snapshots, newest first. Cheap: reads metadata and stats the data files, no checksums. */
  list(): SnapshotMeta[] {
    const metas: SnapshotMeta[] = [];
    for (const scanned of this.#scan()) if (scanned.kind === "ok") metas.push(scanned.meta);
    return metas.sort(compareNewestFirst);
  }

  /** The snapshot `id`, after verifying its size and checksum; throws a clear error otherwise. */
  async open(id: string): Promise<OpenedSnapshot> {
    const meta = this.#readMeta(id);
    const path = this.#dataPath(id);
    let actual: FileDigest;
    try {
      actual = await digestFile(path);
    } catch (err) {
      throw new Error(`snapshot ${id}: data file unreadable: ${errorMessage(err)}`, { cause: err });
    }
    if (actual.size !== meta.size) {
      throw new Error(`snapshot ${id}: data file has ${actual.size} bytes, metadata says ${meta.size}`);
    }
    if (actual.checksum !== meta.checksum) {
      throw new Error(`snapshot ${id}: checksum mismatch: data has sha256 ${actual.checksum}, metadata says ${meta.checksum}`);
    }
    return { meta, path };
  }

  /**
   * The newest snapshot that verifies. Each broken or corrupt one on the way
   * is skipped and reported to `log` with its id and the reason; a corrupt
   * snapshot is never returned.
   */
  async newestValid(log: SnapshotLog = () => {}, accept: (meta: SnapshotMeta) => boolean = () => true): Promise<OpenedSnapshot | undefined> {
    const scanned = this.#scan();
    for (const broken of scanned) {
      if (broken.kind === "broken") {
        log("skipping unreadable snapshot", { snapshotId: broken.id, dir: this.#dir, reason: broken.reason });
      }
    }
    const candidates = scanned.flatMap((s) => (s.kind === "ok" && accept(s.meta) ? [s.meta] : [])).sort(compareNewestFirst);
    for (const meta of candidates) {
      try {
        return await this.open(meta.id);
      } catch (err) {
        log("skipping corrupt snapshot", {
          snapshotId: meta.id,
          index: meta.index,
          term: meta.term,
          dir: this.#dir,
          reason: errorMessage(err),
        });
      }
    }
    return undefined;
  }

  /** Removes a temp file handed out by tempPath() that will not be imported. */
  discard(tempPath: string): void {
    const absolute = resolve(tempPath);
    if (dirname(absolute) !== this.#dir) throw new Error(`cannot discard ${tempPath}: it is not inside ${this.#dir}`);
    rmSync(absolute, { force: true });
  }

  /** Removes a listed snapshot (metadata first, so a crash midway leaves an orphan data file, removed on open). */
  remove(id: string): void {
    this.#readMeta(id);
    rmSync(this.#metaPath(id), { force: true });
    rmSync(this.#dataPath(id), { force: true });
    fsyncDir(this.#dir);
  }

  /** Streams a snapshot's data file in chunks of at most `chunkSize` bytes (each a fresh buffer). */
  async *readChunks(id: string, chunkSize: number): AsyncGenerator<Uint8Array> {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`chunk size must be a positive integer, got ${chunkSize}`);
    }
    this.#readMeta(id);
    const handle = await openFile(this.#dataPath(id), "r");
    try {
      for (;;) {
        const buffer = new Uint8Array(chunkSize);
        const { bytesRead } = await handle.read(buffer, 0, chunkSize, null);
        if (bytesRead === 0) return;
        yield bytesRead === chunkSize ? buffer : buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  #finish(partialPath: string, descriptor: SnapshotDescriptor, size: number, checksum: string): SnapshotMeta {
    const createdAtMs = this.#now();
    const id = `snapshot-${descriptor.index}-${descriptor.term}-${createdAtMs}-${++this.#sequence}`;
    const meta: SnapshotMeta = {
      id,
      index: descriptor.index,
      term: descriptor.term,
      membership: descriptor.membership,
      size,
      checksum,
      createdAtMs,
    };
    renameSync(partialPath, this.#dataPath(id));
    const metaTemp = join(this.#dir, `${id}${metaSuffix}${partialSuffix}`);
    writeFileSync(metaTemp, serializeSnapshotMeta(meta), { flag: "wx" });
    fsyncFile(metaTemp);
    renameSync(metaTemp, this.#metaPath(id));
    fsyncDir(this.#dir);
    this.#prune();
    return meta;
  }

  #prune(): void {
    const stale = this.list().slice(this.#retain);
    if (stale.length === 0) return;
    for (const meta of stale) {
      // Metadata first: once it is gone the snapshot is no longer listed.
      rmSync(this.#metaPath(meta.id), { force: true });
      rmSync(this.#dataPath(meta.id), { force: true });
    }
    fsyncDir(this.#dir);
  }

  #scan(): ScannedSnapshot[] {
    const out: ScannedSnapshot[] = [];
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith(metaSuffix)) continue;
      const id = name.slice(0, -metaSuffix.length);
      try {
        const meta = this.#readMeta(id);
        const size = statSync(this.#dataPath(id), { throwIfNoEntry: false })?.size;
        if (size === undefined) throw new Error("data file is missing");
        if (size !== meta.size) throw new Error(`data file has ${size} bytes, metadata says ${meta.size}`);
        out.push({ kind: "ok", meta });
      } catch (err) {
        out.push({ kind: "broken", id, reason: errorMessage(err) });
      }
    }
    return out;
  }

  #readMeta(id: string): SnapshotMeta {
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id.includes("..")) throw new Error(`invalid snapshot id ${JSON.stringify(id)}`);
    const path = this.#metaPath(id);
    if (!existsSync(path)) throw new Error(`snapshot ${id} not found in ${this.#dir}`);
    try {
      return parseSnapshotMeta(readFileSync(path, "utf8"), id);
    } catch (err) {
      throw new Error(`snapshot ${id}: unreadable metadata: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Removes what a crash can leave: partial files and data files whose metadata was never written. */
  #removeLeftovers(): void {
    const names = new Set(readdirSync(this.#dir));
    let removed = false;
    for (const name of names) {
      const orphanData = name.endsWith(dataSuffix) && !names.has(`${name.slice(0, -dataSuffix.length)}${metaSuffix}`);
      if (name.endsWith(partialSuffix) || orphanData) {
        rmSync(join(this.#dir, name), { force: true });
        removed = true;
      }
    }
    if (removed) fsyncDir(this.#dir);
  }

  #dataPath(id: string): string {
    return join(this.#dir, `${id}${dataSuffix}`);
  }

  #metaPath(id: string): string {
    return join(this.#dir, `${id}${metaSuffix}`);
  }
}

async function digestFile(path: string): Promise<FileDigest> {
  const hasher = new Bun.CryptoHasher("sha256");
  let size = 0;
  for await (const chunk of Bun.file(path).stream()) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { size, checksum: hasher.digest("hex") };
}

function validateDescriptor(d: SnapshotDescriptor): void {
  for (const [field, value] of [
    ["index", d.index],
    ["term", d.term],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`snapshot ${field} must be a non-negative integer, got ${value}`);
    }
  }
  if (!Array.isArray(d.membership.members)) throw new TypeError("snapshot membership must list members");
}
