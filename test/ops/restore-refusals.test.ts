import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BackupHeader, encodeBackupHeader, verifyBackupFile } from "../../src/backup/backup-format.ts";
import { restoreDataDir } from "../../src/backup/restore-data-dir.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { putEntry } from "../fsm/commands.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

let dir: string;

beforeEach(() => {
  dir = tempDir("restore");
});

afterEach(() => {
  removeDir(dir);
});

/** A backup file as `snapshot save` writes it, around `data`. */
function writeBackup(path: string, data: Uint8Array, overrides: Partial<BackupHeader> = {}): BackupHeader {
  const header: BackupHeader = {
    format: 1,
    index: 3,
    term: 1,
    size: data.length,
    sha256: new Bun.CryptoHasher("sha256").update(data).digest("hex"),
    keys: 2,
    clusterId: "c0ffee",
    memberId: "n1",
    compactIndex: 1,
    raftkvVersion: "0.1.0",
    createdAtUnixMs: Date.now(),
    ...overrides,
  };
  const head = encodeBackupHeader(header);
  const file = new Uint8Array(head.length + data.length);
  file.set(head);
  file.set(data, head.length);
  writeFileSync(path, file);
  return header;
}

async function stateMachineCopy(): Promise<Uint8Array> {
  const fsm = KvStateMachine.open(join(dir, "source.db"));
  fsm.applyBatch([putEntry(1, "a", "1"), putEntry(2, "b", "2"), putEntry(3, "a", "3")]);
  await fsm.snapshotTo(join(dir, "copy.db"));
  fsm.close();
  return new Uint8Array(readFileSync(join(dir, "copy.db")));
}

test("a backup's size and sha256 are checked before anything is trusted; a damaged file is refused, naming the mismatch", async () => {
  const data = await stateMachineCopy();
  const file = join(dir, "good.raftkv");
  const header = writeBackup(file, data);
  expect((await verifyBackupFile(file)).header).toEqual(header);
  const damaged = new Uint8Array(readFileSync(file));
  damaged[damaged.length - 100] = (damaged[damaged.length - 100] ?? 0) ^ 0xff;
  writeFileSync(join(dir, "damaged.raftkv"), damaged);
  await expect(verifyBackupFile(join(dir, "damaged.raftkv"))).rejects.toThrow(
    /the data's sha256 is [0-9a-f]{64}, its header says [0-9a-f]{64}: the file is damaged/,
  );
  writeFileSync(join(dir, "short.raftkv"), damaged.subarray(0, damaged.length - 10));
  await expect(verifyBackupFile(join(dir, "short.raftkv"))).rejects.toThrow(`its header says ${data.length} (a cut-short file?)`);
  writeFileSync(join(dir, "other.raftkv"), "SQLite format 3\0...");
  await expect(verifyBackupFile(join(dir, "other.raftkv"))).rejects.toThrow('is not a raftkv backup (it does not start with "RAFTKV-BACKUP 1")');
});

test("restore refuses a data dir that is not empty, and a failed restore leaves no data dir behind", async () => {
  const file = join(dir, "good.raftkv");
  writeBackup(file, await stateMachineCopy());
  const used = join(dir, "used");
  mkdirSync(used);
  writeFileSync(join(used, "raft.db"), "x");
  await expect(restoreDataDir({ file, dataDir: used, id: "n1", raftAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2" })).rejects.toThrow(
    `--data-dir: ${used} is not empty (raft.db); a restore seeds a new data dir`,
  );
  // Not a state machine database, though its checksum matches: refused, and the new data dir is gone again.
  const junk = join(dir, "junk.raftkv");
  writeBackup(junk, new Uint8Array(8192).fill(7));
  const target = join(dir, "new", "data");
  await expect(restoreDataDir({ file: junk, dataDir: target, id: "n1", raftAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2" })).rejects.toThrow(
    "the backup's database cannot be restored",
  );
  expect(existsSync(join(dir, "new"))).toBe(false);
  // The good one restores into a fresh directory: a log, a recorded snapshot, no state machine file yet.
  const restored = await restoreDataDir({ file, dataDir: target, id: "n1", raftAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2", bumpIndex: 1000 });
  expect(restored.index).toBe(1003);
  expect(readdirSync(target)).toContain("raft.db");
  expect(readdirSync(target)).not.toContain("kv.db");
  expect(readdirSync(join(target, "snapshots")).some((name) => name.startsWith("snapshot-1003-1-"))).toBe(true);
});
