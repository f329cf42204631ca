import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Membership } from "../../src/raft/membership.ts";
import { FileSnapshotStore } from "../../src/storage/snapshot-store.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const membership: Membership = {
  members: [
    { id: "n1", suffrage: "voter", raftAddress: "127.0.0.1:50051", clientAddress: "127.0.0.1:40051" },
    { id: "n2", suffrage: "nonvoter", raftAddress: "127.0.0.1:50052", clientAddress: "127.0.0.1:40052" },
  ],
  index: 3,
};

function payload(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed) & 0xff;
  return data;
}

function sha256(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

let dir: string;
let clock: number;
let store: FileSnapshotStore;

beforeEach(() => {
  dir = tempDir("snap");
  clock = 1_000;
  store = FileSnapshotStore.open(dir, { now: () => clock++ });
});

afterEach(() => {
  removeDir(dir);
});

async function importBytes(index: number, data: Uint8Array, term = 1) {
  const temp = store.tempPath();
  writeFileSync(temp, data);
  return store.importFile(temp, { index, term, membership });
}

describe("importFile and open", () => {
  test("records size, checksum, membership and opens after verifying", async () => {
    const data = payload(10_000, 1);
    const meta = await importBytes(42, data, 5);
    expect(meta).toMatchObject({ index: 42, term: 5, size: 10_000, checksum: sha256(data), membership });
    const opened = await store.open(meta.id);
    expect(opened.meta).toEqual(meta);
    expect(sha256(readFileSync(opened.path))).toBe(sha256(data));
    // The temp file was moved, nothing else lingers.
    expect(readdirSync(dir).sort()).toEqual([`${meta.id}.json`, `${meta.id}.snap`]);
    expect(FileSnapshotStore.open(dir).list()).toEqual([meta]);
  });

  test("refuses files outside the store directory and unknown ids", async () => {
    const outside = join(tmpdir(), `raftkv-outside-${process.pid}.partial`);
    writeFileSync(outside, "x");
    await expect(store.importFile(outside, { index: 1, term: 1, membership })).rejects.toThrow(/inside the snapshot directory/);
    rmSync(outside);
    await expect(store.open("snapshot-9-9-9-9")).rejects.toThrow(/not found/);
    await expect(store.open("../etc/passwd")).rejects.toThrow(/invalid snapshot id/);
  });

  test("keeps the newest 3, newest first", async () => {
    const metas = [];
    for (let i = 1; i <= 5; i++) metas.push(await importBytes(i * 10, payload(100, i)));
    expect(store.list().map((m) => m.index)).toEqual([50, 40, 30]);
    const files = readdirSync(dir);
    expect(files).toHaveLength(6);
    for (const old of metas.slice(0, 2)) expect(files.some((f) => f.startsWith(old.id))).toBe(false);
  });

  test("a snapshot whose data was altered fails open with a checksum error", async () => {
    const meta = await importBytes(7, payload(4096, 2));
    const { path } = await store.open(meta.id);
    const corrupted = payload(4096, 2);
    corrupted[100] = (corrupted[100] ?? 0) ^ 0xff;
    writeFileSync(path, corrupted);
    await expect(store.open(meta.id)).rejects.toThrow(/checksum mismatch/);
    writeFileSync(path, payload(10, 2));
    await expect(store.open(meta.id)).rejects.toThrow(/10 bytes, metadata says 4096/);
  });
});

describe("newestValid", () => {
  test("skips a corrupt newest snapshot and logs it", async () => {
    const good = await importBytes(10, payload(1000, 1));
    const bad = await importBytes(20, payload(1000, 2));
    const { path } = await store.open(bad.id);
    writeFileSync(path, payload(1000, 3));
    const logged: [string, Record<string, unknown>][] = [];
    const found = await store.newestValid((msg, ctx) => logged.push([msg, ctx]));
    expect(found?.meta.id).toBe(good.id);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.[0]).toBe("skipping corrupt snapshot");
    expect(logged[0]?.[1]).toMatchObject({ snapshotId: bad.id, index: 20 });
    expect(String(logged[0]?.[1].reason)).toMatch(/checksum mismatch/);
  });

  test("skips unreadable metadata and missing data, and answers undefined when nothing is valid", async () => {
    const a = await importBytes(10, payload(100, 1));
    const b = await importBytes(20, payload(100, 2));
    writeFileSync(join(dir, `${b.id}.json`), "{ torn");
    rmSync(join(dir, `${a.id}.snap`));
    expect(store.list()).toEqual([]);
    const logged: string[] = [];
    expect(await store.newestValid((_msg, ctx) => logged.push(String(ctx.snapshotId)))).toBeUndefined();
    expect(logged.sort()).toEqual([a.id, b.id].sort());
  });
});

describe("streaming sink", () => {
  test("round trip through readChunks into a sink with checksum verification", async () => {
    const data = payload(100_000, 9);
    const source = await importBytes(30, data, 4);

    const receiverDir = tempDir("snap-recv");
    try {
      const receiver = FileSnapshotStore.open(receiverDir);
      const sink = receiver.createSink({ index: 30, term: 4, membership }, source.checksum);
      let chunks = 0;
      for await (const chunk of store.readChunks(source.id, 16_384)) {
        expect(chunk.length).toBeLessThanOrEqual(16_384);
        sink.write(chunk);
        chunks++;
      }
      expect(chunks).toBe(7);
      expect(sink.size).toBe(data.length);
      const meta = sink.commit();
      expect(meta).toMatchObject({ index: 30, term: 4, size: data.length, checksum: source.checksum, membership });
      const opened = await receiver.open(meta.id);
      expect(sha256(readFileSync(opened.path))).toBe(sha256(data));
      expect(() => sink.write(new Uint8Array(1))).toThrow(/committed/);
    } finally {
      removeDir(receiverDir);
    }
  });

  test("a checksum mismatch discards the data with a clear error", () => {
    const sink = store.createSink({ index: 5, term: 1, membership }, sha256(payload(10, 1)));
    sink.write(payload(10, 2));
    expect(() => sink.commit()).toThrow(/failed its checksum.*expected/);
    expect(store.list()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a half-written or aborted sink is never listed and is cleaned up on reopen", () => {
    const halfWritten = store.createSink({ index: 8, term: 1, membership });
    halfWritten.write(payload(1000, 1));
    // Simulate a kill: the sink is never committed or aborted.
    expect(store.list()).toEqual([]);
    expect(readdirSync(dir)).toHaveLength(1);

    const aborted = store.createSink({ index: 9, term: 1, membership });
    aborted.write(payload(10, 1));
    aborted.abort();
    aborted.abort();
    expect(() => aborted.commit()).toThrow(/aborted/);

    // A crash between the data rename and the metadata write leaves an orphan data file.
    writeFileSync(join(dir, "snapshot-9-1-5-1.snap"), payload(10, 1));
    const reopened = FileSnapshotStore.open(dir);
    expect(reopened.list()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(true);
    halfWritten.abort();
  });

  test("rejects a malformed expected checksum", () => {
    expect(() => store.createSink({ index: 1, term: 1, membership }, "not-a-digest")).toThrow(/SHA-256/);
  });
});

describe("importFile errors", () => {
  test("a missing temp file gives an error naming it, and nothing is listed", async () => {
    const missing = store.tempPath();
    await expect(store.importFile(missing, { index: 1, term: 1, membership })).rejects.toThrow(/importing snapshot file/);
    expect(store.list()).toEqual([]);
  });

  test("a digest passed by the file's writer is used, and one whose size disagrees with the file is refused", async () => {
    const data = payload(5000, 7);
    const temp = store.tempPath();
    writeFileSync(temp, data);
    const meta = await store.importFile(temp, { index: 5, term: 1, membership }, { size: 5000, checksum: sha256(data) });
    expect(meta).toMatchObject({ size: 5000, checksum: sha256(data) });
    expect((await store.open(meta.id)).meta).toEqual(meta);

    const short = store.tempPath();
    writeFileSync(short, data);
    await expect(store.importFile(short, { index: 6, term: 1, membership }, { size: 4999, checksum: sha256(data) })).rejects.toThrow(
      /has 5000 bytes, its writer reported 4999/,
    );
    expect(store.list()).toEqual([meta]);
  });
});
