import { expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import type { Applied, EngineRole, EngineStatus } from "../../src/engine/engine.ts";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import { HistoryCompactor } from "../../src/service/watch/history-compactor.ts";

/** A replicated log reduced to what the compactor touches: a role, an applied index, a compact index. */
class FakeReplica {
  role: EngineRole = "leader";
  applied = 0;
  compacted = 1;
  readonly proposed: number[] = [];

  status(): EngineStatus {
    return { id: "n1", role: this.role, term: 1, leaderId: "n1", commitIndex: this.applied, appliedIndex: this.applied, lastLogIndex: this.applied };
  }

  async propose(command: Uint8Array): Promise<Applied> {
    const op = fromBinary(CommandSchema, command).op;
    if (op.case !== "compact") throw new Error(`unexpected proposal ${op.case}`);
    const index = ++this.applied;
    this.compacted = Math.max(this.compacted, Number(op.value.index));
    this.proposed.push(Number(op.value.index));
    return { index, result: { kind: "compact", index, compactIndex: this.compacted } };
  }

  compactIndex(): number {
    return this.compacted;
  }

  appliedIndex(): number {
    return this.applied;
  }
}

test("the leader compacts to the window once history outgrows it by the slack, and its own entry does not trigger another", async () => {
  const replica = new FakeReplica();
  const compactor = new HistoryCompactor(replica, replica, { retentionEntries: 100 });
  expect(compactor.slack()).toBe(10);
  replica.applied = 105;
  expect(await compactor.check()).toEqual({ kind: "within-window" });
  replica.applied = 200;
  expect(await compactor.check()).toEqual({ kind: "compacted", compactIndex: 101 });
  // The compact entry took index 201: within the slack, so nothing more.
  expect(await compactor.check()).toEqual({ kind: "within-window" });
  expect(replica.proposed).toEqual([101]);
});

test("a follower never proposes a compaction", async () => {
  const replica = new FakeReplica();
  replica.role = "follower";
  replica.applied = 10_000;
  const compactor = new HistoryCompactor(replica, replica, { retentionEntries: 10 });
  expect(await compactor.check()).toEqual({ kind: "not-leader" });
  expect(replica.proposed).toEqual([]);
});

test("a retention window must be a positive number of entries", () => {
  const replica = new FakeReplica();
  expect(() => new HistoryCompactor(replica, replica, { retentionEntries: 0 })).toThrow(/positive/);
});
