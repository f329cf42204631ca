import type { SnapshotFiles, SnapshotSinkPort } from "../../../src/engine/snapshot-files.ts";
import type { SnapshotDescriptor, SnapshotMeta } from "../../../src/storage/snapshot-meta.ts";
import { compareNewestFirst } from "../../../src/storage/snapshot-meta.ts";
import type { FileDigest, OpenedSnapshot, SnapshotLog } from "../../../src/storage/snapshot-store.ts";
import type { Fence } from "./sim-crash.ts";

/** The snapshot directory as a crash leaves it: files whose import returned (they were fsynced). */
export class DurableFiles {
  readonly data = new Map<string, Uint8Array>();
  readonly metas = new Map<string, SnapshotMeta>();
  sequence = 0;
}

export function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/**
 * The snapshot directory in memory, with FileSnapshotStore's contract: a
 * snapshot is listed once its import or sink commit returned, three are
 * kept, temp files never count and vanish with the process.
 */
export class MemorySnapshotFiles implements SnapshotFiles {
  readonly dir: string;
  private readonly temps = new Set<string>();

  constructor(
    private readonly disk: DurableFiles,
    private readonly fence: Fence,
    node: string,
    private readonly retain = 3,
  ) {
    this.dir = `sim:${node}/snapshots`;
    for (const path of [...disk.data.keys()]) if (path.startsWith("tmp-")) disk.data.delete(path);
  }

  list(): SnapshotMeta[] {
    return [...this.disk.metas.values()].sort(compareNewestFirst);
  }

  open(id: string): Promise<OpenedSnapshot> {
    const meta = this.disk.metas.get(id);
    if (meta === undefined) return Promise.reject(new Error(`snapshot ${id} not found`));
    const data = this.disk.data.get(id);
    if (data === undefined || sha256(data) !== meta.checksum) return Promise.reject(new Error(`snapshot ${id}: checksum mismatch`));
    return Promise.resolve({ meta, path: id });
  }

  async newestValid(log: SnapshotLog = () => {}, accept: (meta: SnapshotMeta) => boolean = () => true): Promise<OpenedSnapshot | undefined> {
    for (const meta of this.list()) {
      if (!accept(meta)) continue;
      try {
        return await this.open(meta.id);
      } catch (error) {
        log("skipping corrupt snapshot", { snapshotId: meta.id, reason: String(error) });
      }
    }
    return undefined;
  }

  async *readChunks(id: string, chunkSize: number): AsyncGenerator<Uint8Array> {
    const data = this.disk.data.get(id);
    if (data === undefined) throw new Error(`snapshot ${id} not found`);
    for (let offset = 0; offset < data.length; offset += chunkSize) yield data.slice(offset, offset + chunkSize);
  }

  createSink(descriptor: SnapshotDescriptor, expectedChecksum?: string): SnapshotSinkPort {
    this.fence.check("snapshot sink");
    const parts: Uint8Array[] = [];
    let size = 0;
    let state: "open" | "done" = "open";
    return {
      get size() {
        return size;
      },
      write: (chunk) => {
        this.fence.check("snapshot sink write");
        if (state !== "open") throw new Error("sink is closed");
        parts.push(chunk.slice());
        size += chunk.length;
      },
      commit: () => {
        this.fence.check("snapshot sink commit");
        state = "done";
        const data = Buffer.concat(parts);
        const checksum = sha256(data);
        if (expectedChecksum !== undefined && checksum !== expectedChecksum) throw new Error(`snapshot ${descriptor.index}: checksum mismatch`);
        return this.finish(descriptor, data, checksum);
      },
      abort: () => {
        state = "done";
      },
    };
  }

  tempPath(): string {
    const path = `tmp-${++this.disk.sequence}`;
    this.temps.add(path);
    return path;
  }

  importFile(tempPath: string, descriptor: SnapshotDescriptor, written?: FileDigest): Promise<SnapshotMeta> {
    this.fence.check("snapshot import");
    const data = this.disk.data.get(tempPath);
    if (data === undefined) return Promise.reject(new Error(`import ${tempPath}: no such file`));
    this.disk.data.delete(tempPath);
    const checksum = sha256(data);
    if (written !== undefined && written.checksum !== checksum) return Promise.reject(new Error(`import ${tempPath}: checksum differs from its writer's`));
    return Promise.resolve(this.finish(descriptor, data, checksum));
  }

  discard(tempPath: string): void {
    this.disk.data.delete(tempPath);
  }

  remove(id: string): void {
    this.fence.check("snapshot remove");
    this.disk.metas.delete(id);
    this.disk.data.delete(id);
  }

  private finish(descriptor: SnapshotDescriptor, data: Uint8Array, checksum: string): SnapshotMeta {
    const id = `snapshot-${descriptor.index}-${descriptor.term}-${++this.disk.sequence}`;
    const meta: SnapshotMeta = { ...descriptor, id, size: data.length, checksum, createdAtMs: this.disk.sequence };
    this.disk.data.set(id, data);
    this.disk.metas.set(id, meta);
    for (const stale of this.list().slice(this.retain)) {
      this.disk.metas.delete(stale.id);
      this.disk.data.delete(stale.id);
    }
    return meta;
  }
}
