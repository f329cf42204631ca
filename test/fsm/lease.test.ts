import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import type { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import type { ApplyResult, ChangeNotice } from "../../src/fsm/kv-types.ts";
import { bytes, deleteEntry, leaseGrantEntry, leaseRevokeEntry, putEntry, text } from "./commands.ts";
import { TempStateMachine } from "./temp-state-machine.ts";

let temp: TempStateMachine;
let fsm: KvStateMachine;

beforeEach(() => {
  temp = new TempStateMachine();
  fsm = temp.fsm;
});

afterEach(() => {
  temp.close();
});

function errorMessage(result: ApplyResult | undefined): string {
  if (result?.kind !== "error") throw new Error(`expected an error result, got ${JSON.stringify(result?.kind)}`);
  return result.message;
}

const keyNames = (keys: Uint8Array[]) => keys.map((k) => text(k));

test("grant records the lease; a used id, id 0 and a non-positive TTL are refused", () => {
  const results = fsm.applyBatch([
    leaseGrantEntry(1, 10n, 5000n),
    leaseGrantEntry(2, 3n, 700n),
    leaseGrantEntry(3, 10n, 1n),
    leaseGrantEntry(4, 0n, 100n),
    leaseGrantEntry(5, 11n, 0n),
  ]);
  expect(results.slice(0, 2)).toEqual([
    { kind: "leaseGrant", index: 1, id: 10, ttlMs: 5000 },
    { kind: "leaseGrant", index: 2, id: 3, ttlMs: 700 },
  ]);
  expect(errorMessage(results[2])).toMatch(/entry 3: lease grant: lease 10 already exists/);
  expect(errorMessage(results[3])).toMatch(/lease id 0 is not in 1\.\./);
  expect(errorMessage(results[4])).toMatch(/ttl_ms 0 is not positive/);
  expect(fsm.lease(10)).toEqual({ id: 10, ttlMs: 5000, grantIndex: 1 });
  expect(fsm.lease(11)).toBeUndefined();
  expect(fsm.leases()).toEqual([
    { id: 3, ttlMs: 700, grantIndex: 2 },
    { id: 10, ttlMs: 5000, grantIndex: 1 },
  ]);
});

test("a put attaches a key; a later put without lease detaches it; an unknown lease is refused", () => {
  const results = fsm.applyBatch([
    leaseGrantEntry(1, 7n),
    putEntry(2, "b", "1", { lease: 7n }),
    putEntry(3, "a", "1", { lease: 7n }),
    putEntry(4, "c", "1", { lease: 7n }),
    putEntry(5, "c", "2"),
    putEntry(6, "d", "1", { lease: 8n }),
  ]);
  expect(errorMessage(results[5])).toMatch(/entry 6: put: lease 8 does not exist/);
  expect(fsm.get(bytes("d"))).toBeUndefined();
  expect(keyNames(fsm.leaseKeys(7))).toEqual(["a", "b"]);
  expect(fsm.get(bytes("c"))?.lease).toBe(0);
  expect(fsm.leaseKeys(99)).toEqual([]);
});

test("revoke deletes every attached key at its index, with one delete event each; unknown leases are refused", () => {
  fsm.applyBatch([
    leaseGrantEntry(1, 7n),
    leaseGrantEntry(2, 8n),
    putEntry(3, "x/2", "v2", { lease: 7n }),
    putEntry(4, "x/1", "v1", { lease: 7n }),
    putEntry(5, "y", "other", { lease: 8n }),
    putEntry(6, "plain", "p"),
  ]);
  const notices: ChangeNotice[] = [];
  fsm.onChange((notice) => notices.push(notice));
  const results = fsm.applyBatch([leaseRevokeEntry(7, 7n), leaseRevokeEntry(8, 7n), leaseRevokeEntry(9, 0n)]);
  expect(results[0]).toEqual({ kind: "leaseRevoke", index: 7, id: 7, deleted: 2 });
  expect(errorMessage(results[1])).toMatch(/entry 8: lease revoke: lease 7 does not exist/);
  expect(errorMessage(results[2])).toMatch(/lease 0 does not exist/);
  expect(fsm.lease(7)).toBeUndefined();
  expect(fsm.get(bytes("x/1"))).toBeUndefined();
  expect(fsm.get(bytes("x/2"))).toBeUndefined();
  expect(keyNames(fsm.leaseKeys(8))).toEqual(["y"]);
  expect(text(fsm.get(bytes("plain"))?.value)).toBe("p");

  const notice = notices[0];
  if (notice?.kind !== "applied") throw new Error("expected an applied notice");
  expect(notice.index).toBe(9);
  expect(notice.events.map((e) => [e.type, text(e.kv.key), e.kv.modIndex, e.kv.value.length, text(e.prev?.value), e.prev?.lease])).toEqual([
    ["delete", "x/1", 7, 0, "v1", 7],
    ["delete", "x/2", 7, 0, "v2", 7],
  ]);

  // A lease without keys revokes with nothing deleted.
  expect(fsm.applyBatch([leaseGrantEntry(10, 9n), leaseRevokeEntry(11, 9n)])[1]).toEqual({
    kind: "leaseRevoke",
    index: 11,
    id: 9,
    deleted: 0,
  });
});

test("a key deleted by hand leaves its lease; revoke then deletes only what is still attached", () => {
  fsm.applyBatch([leaseGrantEntry(1, 7n), putEntry(2, "a", "1", { lease: 7n }), putEntry(3, "b", "1", { lease: 7n })]);
  fsm.applyBatch([deleteEntry(4, "a")]);
  expect(keyNames(fsm.leaseKeys(7))).toEqual(["b"]);
  expect(fsm.applyBatch([leaseRevokeEntry(5, 7n)])[0]).toMatchObject({ kind: "leaseRevoke", deleted: 1 });
});

test("leases survive a restart and travel in a snapshot", async () => {
  fsm.applyBatch([leaseGrantEntry(1, 7n, 1234n), putEntry(2, "a", "1", { lease: 7n }), leaseGrantEntry(3, 8n, 99n)]);
  const hash = fsm.hash();
  fsm = temp.reopen();
  expect(fsm.leases()).toEqual([
    { id: 7, ttlMs: 1234, grantIndex: 1 },
    { id: 8, ttlMs: 99, grantIndex: 3 },
  ]);
  expect(keyNames(fsm.leaseKeys(7))).toEqual(["a"]);
  expect(fsm.hash()).toBe(hash);

  const snapshot = join(temp.dir, "snap.db");
  await fsm.snapshotTo(snapshot);
  fsm.applyBatch([leaseRevokeEntry(4, 7n), leaseGrantEntry(5, 9n)]);
  expect(fsm.hash()).not.toBe(hash);
  fsm.restoreFrom(snapshot);
  expect(fsm.hash()).toBe(hash);
  expect(fsm.leases().map((l) => l.id)).toEqual([7, 8]);
  expect(keyNames(fsm.leaseKeys(7))).toEqual(["a"]);
});

test("the hash covers leases: same keys, different leases, different hash", () => {
  const other = new TempStateMachine();
  try {
    fsm.applyBatch([leaseGrantEntry(1, 7n), putEntry(2, "a", "1")]);
    other.fsm.applyBatch([leaseGrantEntry(1, 8n), putEntry(2, "a", "1")]);
    expect(other.fsm.hash()).not.toBe(fsm.hash());
    expect(other.fsm.get(bytes("a"))).toEqual(fsm.get(bytes("a")));
  } finally {
    other.close();
  }
});
