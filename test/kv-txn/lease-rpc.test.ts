import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, Code } from "@connectrpc/connect";
import type { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { Lease } from "../../src/gen/raftkv/v1/lease_pb.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { eventually } from "../support/eventually.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";
import { expectCode, kvClient, leaseClient, str, text } from "./support.ts";

let node: RaftkvNode;
let dir: string;
let kv: Client<typeof KV>;
let lease: Client<typeof Lease>;

beforeAll(async () => {
  dir = tempDir("kv-txn-lease");
  const started = await startTestNode(dir);
  node = started.node;
  kv = kvClient(started.endpoint);
  lease = leaseClient(started.endpoint);
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

/** The data and leases; with `withIndex`, also the applied index (nothing reached the log). */
function fingerprint(withIndex: boolean): string {
  const fsm = node.engine.stateMachine;
  return `${withIndex ? fsm.appliedIndex() : "-"}:${fsm.hash()}:${fsm.leases().length}`;
}

describe("bad lease input is refused and changes nothing", () => {
  // Validation refusals never reach the log. A put naming an unknown lease
  // and a revoke of one are refused by the state machine when they apply
  // (only the log order decides whether the lease exists): an index is used, no data changes.
  const cases: [string, () => Promise<unknown>, Code, string[]][] = [
    ["ttl 0", () => lease.leaseGrant({ ttlSeconds: 0n }), Code.InvalidArgument, ["ttl_seconds", "minimum of 1"]],
    ["ttl over a year", () => lease.leaseGrant({ ttlSeconds: 400n * 24n * 3600n }), Code.InvalidArgument, ["ttl_seconds", "31536000"]],
    ["negative id", () => lease.leaseGrant({ ttlSeconds: 5n, id: -3n }), Code.InvalidArgument, ["id", "-3"]],
    ["id beyond 2^53", () => lease.leaseGrant({ ttlSeconds: 5n, id: 1n << 60n }), Code.InvalidArgument, ["id"]],
    ["revoke id 0", () => lease.leaseRevoke({ id: 0n }), Code.InvalidArgument, ["id"]],
    ["keep-alive id 0", () => lease.leaseKeepAlive({ id: 0n }), Code.InvalidArgument, ["id"]],
    ["put with a negative lease", () => kv.put({ key: text("k"), value: text("v"), lease: -1n }), Code.InvalidArgument, ["lease"]],
    ["put with a lease that does not exist", () => kv.put({ key: text("k"), value: text("v"), lease: 424242n }), Code.FailedPrecondition, ["424242"]],
    ["revoke of an unknown lease", () => lease.leaseRevoke({ id: 424242n }), Code.NotFound, ["424242"]],
    ["keep-alive of an unknown lease", () => lease.leaseKeepAlive({ id: 424242n }), Code.NotFound, ["424242"]],
  ];
  for (const [name, call, code, words] of cases) {
    test(name, async () => {
      const validation = code === Code.InvalidArgument;
      const before = fingerprint(validation);
      await expectCode(call(), code, ...words);
      expect(fingerprint(validation)).toBe(before);
    });
  }
});

describe("lease lifecycle on one node", () => {
  test("grant (server-chosen and explicit ids), attach keys, time-to-live with keys, list, revoke deletes the keys", async () => {
    const chosen = await lease.leaseGrant({ ttlSeconds: 60n });
    expect(chosen.id).toBeGreaterThan(0n);
    expect(chosen.ttlSeconds).toBe(60n);
    const explicit = await lease.leaseGrant({ ttlSeconds: 30n, id: 777n });
    expect(explicit.id).toBe(777n);
    await expectCode(lease.leaseGrant({ ttlSeconds: 30n, id: 777n }), Code.FailedPrecondition, "777", "already exists");

    await kv.put({ key: text("leased/1"), value: text("a"), lease: 777n });
    await kv.put({ key: text("leased/2"), value: text("b"), lease: 777n });
    await kv.put({ key: text("unleased"), value: text("c") });
    expect((await kv.get({ key: text("leased/1") })).kv?.lease).toBe(777n);

    const ttl = await lease.leaseTimeToLive({ id: 777n, keys: true });
    expect(ttl.grantedTtlSeconds).toBe(30n);
    expect(ttl.ttlSeconds).toBeGreaterThan(0n);
    expect(ttl.ttlSeconds).toBeLessThanOrEqual(30n);
    expect(ttl.keys.map(str).sort()).toEqual(["leased/1", "leased/2"]);
    expect((await lease.leaseTimeToLive({ id: 777n })).keys).toEqual([]);

    const listed = (await lease.leaseLeases({})).leases.map((l) => l.id);
    expect(listed).toContain(777n);
    expect(listed).toContain(chosen.id);

    const kept = await lease.leaseKeepAlive({ id: 777n });
    expect(kept.ttlSeconds).toBe(30n);

    const revoked = await lease.leaseRevoke({ id: 777n });
    expect(revoked.deleted).toBe(2n);
    expect((await kv.get({ key: text("leased/1") })).found).toBe(false);
    expect((await kv.get({ key: text("unleased") })).found).toBe(true);
    expect((await lease.leaseTimeToLive({ id: 777n })).ttlSeconds).toBe(-1n);
    expect((await lease.leaseLeases({})).leases.map((l) => l.id)).not.toContain(777n);
    await expectCode(lease.leaseRevoke({ id: 777n }), Code.NotFound, "777");
  });

  test("a 1 s lease expires and its keys vanish; a kept-alive one stays", async () => {
    const doomed = await lease.leaseGrant({ ttlSeconds: 1n });
    const kept = await lease.leaseGrant({ ttlSeconds: 1n });
    await kv.put({ key: text("ttl/doomed"), value: text("x"), lease: doomed.id });
    await kv.put({ key: text("ttl/kept"), value: text("y"), lease: kept.id });
    let keeping = true;
    const keeper = (async () => {
      while (keeping) {
        await lease.leaseKeepAlive({ id: kept.id });
        await Bun.sleep(250);
      }
    })();
    try {
      await eventually("the expired lease's key to vanish", async () => ((await kv.get({ key: text("ttl/doomed") })).found ? undefined : true), 20_000);
      expect((await lease.leaseTimeToLive({ id: doomed.id })).ttlSeconds).toBe(-1n);
      // Well past its 1 s TTL, the kept-alive lease and its key are still there.
      await Bun.sleep(1500);
      expect((await kv.get({ key: text("ttl/kept") })).found).toBe(true);
      expect((await lease.leaseTimeToLive({ id: kept.id })).ttlSeconds).toBeGreaterThan(0n);
    } finally {
      keeping = false;
      await keeper;
    }
    // Once keep-alives stop, it expires too.
    await eventually("the no-longer-kept lease's key to vanish", async () => ((await kv.get({ key: text("ttl/kept") })).found ? undefined : true), 20_000);
  }, 40_000);
});
