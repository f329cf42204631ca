import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Applied, Engine, EngineRole, EngineStatus } from "../../src/engine/engine.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import { LeaseKeeper } from "../../src/service/lease/lease-keeper.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

/**
 * An engine whose role, term and proposal outcome the test sets; accepted
 * proposals are applied to a real state machine at the next index.
 */
class ScriptedEngine implements Engine {
  role: EngineRole = "leader";
  term = 1;
  refuseProposals = false;
  readonly revoked: number[] = [];
  private nextIndex = 1;

  constructor(readonly stateMachine: KvStateMachine) {}

  apply(command: Uint8Array): Applied {
    const index = this.nextIndex++;
    const [result] = this.stateMachine.applyBatch([{ index, term: this.term, kind: "normal", data: command }]);
    if (result === undefined) throw new Error(`entry ${index} was not applied`);
    return { index, result };
  }

  grant(id: number, ttlMs: number): void {
    this.apply(toBinary(CommandSchema, create(CommandSchema, { op: { case: "leaseGrant", value: { id: BigInt(id), ttlMs: BigInt(ttlMs) } } })));
  }

  propose(command: Uint8Array): Promise<Applied> {
    const decoded = fromBinary(CommandSchema, command);
    if (decoded.op.case === "leaseRevoke") this.revoked.push(Number(decoded.op.value.id));
    if (this.refuseProposals) return Promise.reject(new Error("no quorum"));
    return Promise.resolve(this.apply(command));
  }

  readBarrier(): Promise<number> {
    return Promise.resolve(this.stateMachine.appliedIndex());
  }

  status(): EngineStatus {
    const applied = this.stateMachine.appliedIndex();
    return {
      id: "n1",
      role: this.role,
      term: this.term,
      leaderId: this.role === "leader" ? "n1" : "n2",
      commitIndex: applied,
      appliedIndex: applied,
      lastLogIndex: applied,
    };
  }

  async close(): Promise<void> {}
}

let dir: string;
let fsm: KvStateMachine;
let engine: ScriptedEngine;
let now = 0;
let keeper: LeaseKeeper;

/** Lets proposal callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  dir = tempDir("kv-txn-lease-keeper");
  fsm = KvStateMachine.open(join(dir, "kv.db"));
  engine = new ScriptedEngine(fsm);
  now = 0;
  keeper = new LeaseKeeper(engine, { now: () => now, maxRevokesPerTick: 2 });
});

afterEach(() => {
  keeper.stop();
  fsm.close();
  removeDir(dir);
});

test("an expired lease is revoked once its TTL has passed, not before", async () => {
  engine.grant(7, 1000);
  keeper.tick();
  now = 999;
  keeper.tick();
  expect(engine.revoked).toEqual([]);
  expect(keeper.timer(7)).toEqual({ kind: "live", ttlMs: 1000, remainingMs: 1 });
  now = 1000;
  keeper.tick();
  await settle();
  expect(engine.revoked).toEqual([7]);
  expect(fsm.lease(7)).toBeUndefined();
  expect(keeper.timer(7)).toEqual({ kind: "unknown" });
});

test("keep-alive restarts the full TTL from now", async () => {
  engine.grant(7, 1000);
  keeper.tick();
  now = 800;
  expect(keeper.keepAlive(7)).toEqual({ kind: "live", ttlMs: 1000, remainingMs: 1000 });
  now = 1700;
  keeper.tick();
  expect(engine.revoked).toEqual([]);
  now = 1800;
  keeper.tick();
  await settle();
  expect(engine.revoked).toEqual([7]);
  expect(keeper.keepAlive(7)).toEqual({ kind: "unknown" });
});

test("a new leadership gives every lease a fresh full window; a follower expires nothing", async () => {
  engine.grant(7, 1000);
  keeper.tick();
  now = 900;
  engine.role = "follower";
  keeper.tick();
  now = 5000;
  keeper.tick();
  expect(engine.revoked).toEqual([]);
  expect(keeper.timer(7)).toEqual({ kind: "unknown" });

  engine.role = "leader";
  engine.term = 2;
  keeper.tick();
  expect(keeper.timer(7)).toEqual({ kind: "live", ttlMs: 1000, remainingMs: 1000 });
  now = 5999;
  keeper.tick();
  expect(engine.revoked).toEqual([]);
  now = 6000;
  keeper.tick();
  await settle();
  expect(engine.revoked).toEqual([7]);
});

test("a term change while leading (lost and regained between ticks) also restarts the windows", () => {
  engine.grant(7, 1000);
  keeper.tick();
  now = 900;
  engine.term = 3;
  keeper.tick();
  expect(keeper.timer(7)).toEqual({ kind: "live", ttlMs: 1000, remainingMs: 1000 });
});

test("revocations go out in bounded batches per tick, and failed ones are retried", async () => {
  for (const id of [1, 2, 3, 4, 5]) engine.grant(id, 100);
  keeper.tick();
  now = 100;
  engine.refuseProposals = true;
  keeper.tick();
  await settle();
  expect(engine.revoked).toEqual([1, 2]);
  expect(keeper.timer(1).kind).toBe("expired");
  expect(fsm.leases().length).toBe(5);

  engine.refuseProposals = false;
  keeper.tick();
  await settle();
  keeper.tick();
  await settle();
  keeper.tick();
  await settle();
  // The two refused revocations were proposed again; every lease is gone, each revoked once successfully.
  expect(engine.revoked.slice(2).sort()).toEqual([1, 2, 3, 4, 5]);
  expect(fsm.leases()).toEqual([]);
  keeper.tick();
  await settle();
  expect(engine.revoked.length).toBe(7);
});

test("a lease a client revoked is forgotten, not revoked again", async () => {
  engine.grant(7, 1000);
  keeper.tick();
  engine.apply(toBinary(CommandSchema, create(CommandSchema, { op: { case: "leaseRevoke", value: { id: 7n } } })));
  now = 2000;
  keeper.tick();
  await settle();
  expect(engine.revoked).toEqual([]);
  expect(keeper.timer(7)).toEqual({ kind: "unknown" });
});
