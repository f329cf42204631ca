import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prefixEnd } from "../../src/fsm/key-range.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import type { Entry } from "../../src/raft/entry.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { bytes, deleteEntry, leaseGrantEntry, putEntry, rawEntry, text } from "./commands.ts";

let dir: string;
let path: string;
let fsm: KvStateMachine;

beforeEach(() => {
  dir = tempDir("fsm");
  path = join(dir, "kv.db");
  fsm = KvStateMachine.open(path);
});

afterEach(() => {
  fsm.close();
  removeDir(dir);
});

function reopen(): void {
  fsm.close();
  fsm = KvStateMachine.open(path);
}

function meta(key: string): [number, number, number] | undefined {
  const kv = fsm.get(bytes(key));
  return kv === undefined ? undefined : [kv.createIndex, kv.modIndex, kv.version];
}

describe("apply", () => {
  test("put/delete/put follows etcd metadata semantics", () => {
    fsm.applyBatch([leaseGrantEntry(1, 7n), putEntry(2, "a", "v1", { lease: 7n })]);
    expect(meta("a")).toEqual([2, 2, 1]);
    expect(fsm.get(bytes("a"))?.lease).toBe(7);
    fsm.applyBatch([putEntry(3, "a", "v2", { term: 2 })]);
    expect(meta("a")).toEqual([2, 3, 2]);
    expect(text(fsm.get(bytes("a"))?.value)).toBe("v2");
    expect(fsm.get(bytes("a"))?.lease).toBe(0);
    fsm.applyBatch([deleteEntry(4, "a", { term: 2 })]);
    expect(fsm.get(bytes("a"))).toBeUndefined();
    fsm.applyBatch([putEntry(5, "a", "v3", { term: 3 })]);
    expect(meta("a")).toEqual([5, 5, 1]);
    expect(fsm.appliedIndex()).toBe(5);
    expect(fsm.appliedTerm()).toBe(3);
  });

  test("one batch applies everything and returns one result per new entry", () => {
    const results = fsm.applyBatch([
      putEntry(1, "a", "1"),
      putEntry(2, "b", "2"),
      { index: 3, term: 1, kind: "noop", data: new Uint8Array() },
      putEntry(4, "a", "3", { prevKv: true }),
      { index: 5, term: 2, kind: "config", data: new Uint8Array([1]) },
      deleteEntry(6, "b", { prevKv: true, term: 2 }),
      deleteEntry(7, "missing", { term: 2 }),
    ]);
    expect(results.map((r) => [r.kind, r.index])).toEqual([
      ["put", 1],
      ["put", 2],
      ["none", 3],
      ["put", 4],
      ["none", 5],
      ["delete", 6],
      ["delete", 7],
    ]);
    const overwrite = results[3];
    expect(overwrite?.kind === "put" && overwrite.prev !== undefined && text(overwrite.prev.value)).toBe("1");
    expect(results[0]?.kind === "put" && results[0].prev).toBeUndefined();
    const del = results[5];
    expect(del?.kind === "delete" && [del.deleted, text(del.prevs[0]?.value), del.prevs[0]?.version]).toEqual([1, "2", 1]);
    const miss = results[6];
    expect(miss?.kind === "delete" && [miss.deleted, miss.prevs.length]).toEqual([0, 0]);
    expect(fsm.appliedIndex()).toBe(7);
    expect(fsm.appliedTerm()).toBe(2);
  });

  test("replayed entries are skipped, so a replay converges to the same state", () => {
    const log: Entry[] = [putEntry(1, "a", "1"), putEntry(2, "a", "2"), deleteEntry(3, "a"), putEntry(4, "a", "4")];
    fsm.applyBatch(log.slice(0, 2));
    const results = fsm.applyBatch(log);
    expect(results.map((r) => r.index)).toEqual([3, 4]);
    expect(fsm.applyBatch(log)).toEqual([]);
    expect(meta("a")).toEqual([4, 4, 1]);

    const other = KvStateMachine.open(join(dir, "other.db"));
    other.applyBatch(log);
    expect(other.hash()).toBe(fsm.hash());
    other.close();
  });

  test("a gap in the batch throws before anything is written", () => {
    fsm.applyBatch([putEntry(1, "a", "1")]);
    const before = fsm.hash();
    expect(() => fsm.applyBatch([putEntry(2, "b", "2"), putEntry(4, "c", "3")])).toThrow(/not contiguous/);
    expect(() => fsm.applyBatch([putEntry(1, "b", "2"), putEntry(3, "c", "3")])).toThrow(/not contiguous/);
    expect(() => fsm.applyBatch([putEntry(3, "b", "2")])).toThrow(/entry 2 is missing/);
    expect(fsm.hash()).toBe(before);
    expect(fsm.appliedIndex()).toBe(1);
    expect(fsm.get(bytes("b"))).toBeUndefined();
  });

  test("bad commands give error results, write nothing, and the rest of the batch applies", () => {
    fsm.applyBatch([putEntry(1, "keep", "x")]);
    const before = fsm.hash();
    const results = fsm.applyBatch([
      rawEntry(2, new Uint8Array([0xff, 0xff, 0xff, 0xff])),
      rawEntry(3, new Uint8Array()),
      putEntry(4, "", "empty key"),
      deleteEntry(5, ""),
    ]);
    expect(results.map((r) => r.kind)).toEqual(["error", "error", "error", "error"]);
    const messages = results.map((r) => (r.kind === "error" ? r.message : ""));
    expect(messages[0]).toMatch(/entry 2: undecodable command/);
    expect(messages[1]).toMatch(/no operation/);
    expect(messages[2]).toMatch(/empty key/);
    expect(messages[3]).toMatch(/empty key/);
    expect(fsm.hash()).toBe(before);
    expect(fsm.appliedIndex()).toBe(5);

    const mixed = fsm.applyBatch([putEntry(6, "n", "1"), rawEntry(7, new Uint8Array([0x0a])), putEntry(8, "m", "2")]);
    expect(mixed.map((r) => r.kind)).toEqual(["put", "error", "put"]);
    expect(text(fsm.get(bytes("m"))?.value)).toBe("2");
  });

  test("restart keeps the data and the applied position", () => {
    fsm.applyBatch([putEntry(1, "a", "1", { term: 3 }), putEntry(2, "b", "2", { term: 4 })]);
    const hash = fsm.hash();
    reopen();
    expect(fsm.appliedIndex()).toBe(2);
    expect(fsm.appliedTerm()).toBe(4);
    expect(fsm.hash()).toBe(hash);
    expect(fsm.applyBatch([putEntry(2, "b", "other")])).toEqual([]);
    expect(text(fsm.get(bytes("b"))?.value)).toBe("2");
  });
});

describe("delete ranges", () => {
  const keys = ["a", "b", "b1", "b2", "c", "d"];

  beforeEach(() => {
    fsm.applyBatch(keys.map((k, i) => putEntry(i + 1, k, `v-${k}`)));
  });

  function remaining(): string[] {
    return fsm.range({ start: new Uint8Array(), limit: 0, keysOnly: true, countOnly: false }).kvs.map((kv) => text(kv.key) ?? "");
  }

  test("[key, rangeEnd) deletes that range and returns sorted prevs when asked", () => {
    const [result] = fsm.applyBatch([deleteEntry(7, "b", { rangeEnd: bytes("c"), prevKv: true })]);
    expect(result?.kind === "delete" && [result.deleted, result.prevs.map((kv) => text(kv.key))]).toEqual([3, ["b", "b1", "b2"]]);
    expect(remaining()).toEqual(["a", "c", "d"]);
  });

  test("rangeEnd \\0 deletes everything from key on; an inverted range deletes nothing", () => {
    const results = fsm.applyBatch([deleteEntry(7, "d", { rangeEnd: bytes("b") }), deleteEntry(8, "c", { rangeEnd: new Uint8Array([0]) })]);
    expect(results.map((r) => (r.kind === "delete" ? r.deleted : -1))).toEqual([0, 2]);
    expect(remaining()).toEqual(["a", "b", "b1", "b2"]);
  });
});

describe("range", () => {
  const ff = new Uint8Array([0xff]);
  const ffff = new Uint8Array([0xff, 0xff]);
  const feff = new Uint8Array([0xfe, 0xff]);

  beforeEach(() => {
    const keys: (string | Uint8Array)[] = ["a", "ab", "abc", "b", "ba", new Uint8Array([0x01]), ff, ffff, feff];
    fsm.applyBatch(keys.map((k, i) => putEntry(i + 1, k, `value-${i}`)));
  });

  function keysOf(r: { kvs: readonly { key: Uint8Array }[] }): string[] {
    return r.kvs.map((kv) => Buffer.from(kv.key).toString("hex"));
  }
  const hex = (s: string) => Buffer.from(s).toString("hex");

  test("[start, end) in byte order with limit, more, count and nextKey", () => {
    const page = fsm.range({ start: bytes("a"), end: bytes("b"), limit: 2, keysOnly: false, countOnly: false });
    expect(keysOf(page)).toEqual([hex("a"), hex("ab")]);
    expect(page.more).toBe(true);
    expect(page.count).toBe(3);
    expect(text(page.nextKey)).toBe("abc");
    expect(text(page.kvs[1]?.value)).toBe("value-1");

    const rest = fsm.range({ start: page.nextKey ?? bytes(""), end: bytes("b"), limit: 2, keysOnly: false, countOnly: false });
    expect(keysOf(rest)).toEqual([hex("abc")]);
    expect(rest.more).toBe(false);
    expect(rest.count).toBe(1);
    expect(rest.nextKey).toBeUndefined();
  });

  test("limit 0 means all; unbounded end; byte ordering puts 0x01 first and 0xff last", () => {
    const all = fsm.range({ start: new Uint8Array(), limit: 0, keysOnly: false, countOnly: false });
    expect(keysOf(all)).toEqual(["01", hex("a"), hex("ab"), hex("abc"), hex("b"), hex("ba"), "feff", "ff", "ffff"]);
    expect(all.count).toBe(9);
    const tail = fsm.range({ start: bytes("b"), limit: 0, keysOnly: false, countOnly: false });
    expect(keysOf(tail)).toEqual([hex("b"), hex("ba"), "feff", "ff", "ffff"]);
    const nul = fsm.range({ start: bytes("ba"), end: new Uint8Array([0]), limit: 0, keysOnly: false, countOnly: false });
    expect(keysOf(nul)).toEqual([hex("ba"), "feff", "ff", "ffff"]);
  });

  test("keys-only returns metadata without values; count-only returns just the count", () => {
    const keysOnly = fsm.range({ start: bytes("a"), end: bytes("b"), limit: 10, keysOnly: true, countOnly: false });
    expect(keysOf(keysOnly)).toEqual([hex("a"), hex("ab"), hex("abc")]);
    expect(keysOnly.kvs.every((kv) => kv.value.length === 0 && kv.version === 1 && kv.createIndex > 0)).toBe(true);
    const countOnly = fsm.range({ start: bytes("a"), end: bytes("b"), limit: 1, keysOnly: false, countOnly: true });
    expect(countOnly).toEqual({ kvs: [], more: false, count: 3 });
  });

  test("an empty end means the single key; an inverted range is empty", () => {
    const single = fsm.range({ start: bytes("ab"), end: new Uint8Array(), limit: 0, keysOnly: false, countOnly: false });
    expect(keysOf(single)).toEqual([hex("ab")]);
    const missing = fsm.range({ start: bytes("zz"), end: new Uint8Array(), limit: 0, keysOnly: false, countOnly: false });
    expect(missing).toEqual({ kvs: [], more: false, count: 0 });
    const inverted = fsm.range({ start: bytes("b"), end: bytes("a"), limit: 0, keysOnly: false, countOnly: false });
    expect(inverted.count).toBe(0);
    expect(() => fsm.range({ start: bytes("a"), limit: -1, keysOnly: false, countOnly: false })).toThrow(/limit/);
  });

  test("prefix scans via prefixEnd, including 0xff prefixes", () => {
    const scan = (prefix: Uint8Array) => keysOf(fsm.range({ start: prefix, end: prefixEnd(prefix), limit: 0, keysOnly: true, countOnly: false }));
    expect(scan(bytes("ab"))).toEqual([hex("ab"), hex("abc")]);
    expect(scan(bytes("b"))).toEqual([hex("b"), hex("ba")]);
    expect(scan(ff)).toEqual(["ff", "ffff"]);
    expect(scan(ffff)).toEqual(["ffff"]);
    expect(scan(new Uint8Array([0xfe]))).toEqual(["feff"]);
    expect(scan(new Uint8Array())).toHaveLength(9);
  });

  test("prefixEnd follows etcd", () => {
    expect(prefixEnd(bytes("ab"))).toEqual(bytes("ac"));
    expect(prefixEnd(new Uint8Array([0x61, 0xff]))).toEqual(new Uint8Array([0x62]));
    expect(prefixEnd(new Uint8Array([0xfe, 0xff, 0xff]))).toEqual(new Uint8Array([0xff]));
    expect(prefixEnd(ff)).toBeUndefined();
    expect(prefixEnd(ffff)).toBeUndefined();
    expect(prefixEnd(new Uint8Array())).toBeUndefined();
  });
});

describe("snapshot and restore", () => {
  function batch(from: number, count: number, tag: string): Entry[] {
    const out: Entry[] = [];
    for (let i = 0; i < count; i++) {
      out.push(putEntry(from + i, `key-${(from + i) % 500}`, `${tag}-${from + i}`, { term: 2 }));
    }
    return out;
  }

  test("applies go on while a snapshot is written; the snapshot restores to the state at its index", async () => {
    const log: Entry[] = batch(1, 2000, "base");
    fsm.applyBatch(log);
    const snapshotPath = join(dir, "snap.db");
    const pending = fsm.snapshotTo(snapshotPath);
    let applying = true;
    const applied = pending.finally(() => {
      applying = false;
    });
    let batches = 0;
    while (applying && batches < 200) {
      const next = batch(fsm.appliedIndex() + 1, 50, "live");
      log.push(...next);
      fsm.applyBatch(next);
      batches++;
      await Bun.sleep(0);
    }
    const { file: _file, ...position } = await applied;
    expect(position.index).toBeGreaterThanOrEqual(2000);
    expect(position.index).toBeLessThanOrEqual(fsm.appliedIndex());
    expect(position.term).toBe(2);

    // Reference: a state machine that applied exactly the log up to the snapshot's index.
    const reference = KvStateMachine.open(join(dir, "reference.db"));
    reference.applyBatch(log.slice(0, position.index));
    const restored = KvStateMachine.open(join(dir, "restored.db"));
    restored.applyBatch(batch(1, 10, "old"));
    expect(restored.restoreFrom(snapshotPath)).toEqual(position);
    expect(restored.appliedIndex()).toBe(position.index);
    expect(restored.hash()).toBe(reference.hash());

    // The restored machine carries on from there and converges with the live one.
    restored.applyBatch(log);
    expect(restored.hash()).toBe(fsm.hash());
    restored.close();
    const reopened = KvStateMachine.open(join(dir, "restored.db"));
    expect(reopened.hash()).toBe(fsm.hash());
    reopened.close();
    reference.close();
    expect(existsSync(snapshotPath)).toBe(true);
  });

  test("restore survives a reopen and leaves no temp files", async () => {
    fsm.applyBatch(batch(1, 100, "a"));
    const snapshotPath = join(dir, "snap.db");
    await fsm.snapshotTo(snapshotPath);
    const hash = fsm.hash();
    fsm.applyBatch(batch(101, 100, "b"));
    fsm.restoreFrom(snapshotPath);
    expect(fsm.hash()).toBe(hash);
    reopen();
    expect(fsm.appliedIndex()).toBe(100);
    expect(fsm.hash()).toBe(hash);
    expect(existsSync(`${path}.restore`)).toBe(false);
  });

  test("the last config entry is kept with the data and travels with a snapshot", async () => {
    const config = (index: number, text: string): Entry => ({ index, term: 2, kind: "config", data: bytes(text) });
    expect(fsm.lastConfigEntry()).toBeUndefined();
    fsm.applyBatch([config(1, "members-a"), putEntry(2, "k", "v", { term: 2 }), config(3, "members-b")]);
    expect(fsm.lastConfigEntry()).toEqual(config(3, "members-b"));
    const snapshotPath = join(dir, "snap.db");
    const { file, ...position } = await fsm.snapshotTo(snapshotPath);
    expect(position).toEqual({ index: 3, term: 2, config: config(3, "members-b") });
    // The worker's size and checksum describe the file it left behind.
    const written = readFileSync(snapshotPath);
    expect(file).toEqual({ size: written.length, checksum: new Bun.CryptoHasher("sha256").update(written).digest("hex") });
    fsm.applyBatch([config(4, "members-c")]);
    reopen();
    expect(fsm.lastConfigEntry()).toEqual(config(4, "members-c"));
    expect(fsm.restoreFrom(snapshotPath).config).toEqual(config(3, "members-b"));
    expect(fsm.lastConfigEntry()).toEqual(config(3, "members-b"));
  });

  test("a bad snapshot file is refused and the state is unchanged", () => {
    fsm.applyBatch(batch(1, 10, "a"));
    const hash = fsm.hash();
    const bogus = join(dir, "bogus.db");
    writeFileSync(bogus, "this is not a database");
    expect(() => fsm.restoreFrom(bogus)).toThrow(/not a usable state machine snapshot/);
    expect(fsm.hash()).toBe(hash);
    expect(fsm.appliedIndex()).toBe(10);
  });

  test("snapshotTo refuses an existing target", async () => {
    const target = join(dir, "exists.db");
    writeFileSync(target, "x");
    await expect(fsm.snapshotTo(target)).rejects.toThrow(/already exists/);
  });

  test("a restore interrupted before its rename leaves the old state", () => {
    fsm.applyBatch(batch(1, 10, "a"));
    const hash = fsm.hash();
    fsm.close();
    writeFileSync(`${path}.restore`, "half-copied snapshot");
    fsm = KvStateMachine.open(path);
    expect(fsm.hash()).toBe(hash);
    expect(existsSync(`${path}.restore`)).toBe(false);
  });
});
