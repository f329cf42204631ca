import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { MemberSchema, StatusResponseSchema, Suffrage } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { type MemberStatus, memberRows } from "../../web/src/cluster/member-rows.ts";
import { RateHistory } from "../../web/src/metrics/rate-history.ts";
import { codeName } from "../../web/src/ui/error-text.ts";

const member = (id: string, suffrage = Suffrage.VOTER) =>
  create(MemberSchema, { id, suffrage, clientAddress: `127.0.0.1:4005${id.slice(1)}`, raftAddress: "x:1" });
const answered = (id: string, state: string, commit: bigint, applied: bigint): MemberStatus => ({
  kind: "answered",
  status: create(StatusResponseSchema, { id, state, term: 3n, commitIndex: commit, appliedIndex: applied, lastContactMs: state === "leader" ? 0n : 40n }),
});

test("rows join the configuration with each member's own Status; lag is behind the leader's commit index", () => {
  const statuses = new Map<string, MemberStatus>([
    ["n1", answered("n1", "leader", 100n, 100n)],
    ["n2", answered("n2", "follower", 98n, 90n)],
    ["n3", { kind: "unreachable", error: "unavailable: Failed to fetch" }],
  ]);
  const rows = memberRows([member("n1"), member("n2"), member("n3", Suffrage.NONVOTER)], "n1", "n2", statuses);
  expect(rows.map((r) => [r.id, r.leader, r.serving, r.suffrage, r.state, r.lag])).toEqual([
    ["n1", true, false, "voter", "leader", 0n],
    ["n2", false, true, "voter", "follower", 10n],
    ["n3", false, false, "nonvoter", undefined, undefined],
  ]);
  expect(rows[1]?.figures?.appliedIndex).toBe(90n);
  // No quota and no fsync reported (0) are "n/a", not a misleading zero.
  expect(rows[0]?.figures?.quotaBytes).toBeUndefined();
  expect(rows[0]?.figures?.fsyncP99Ms).toBeUndefined();
  expect(rows[2]?.status).toEqual({ kind: "unreachable", error: "unavailable: Failed to fetch" });
});

test("a member's figures come from its Status: database size and use against the quota, fsync p99, reads", () => {
  const status = create(StatusResponseSchema, {
    id: "n1",
    state: "leader",
    dbSizeBytes: 4096n * 10n,
    dbSizeInUseBytes: 4096n * 7n,
    quotaBytes: 8n << 30n,
    fsyncP99Ms: 2.5,
    readsTotal: 1234n,
  });
  const rows = memberRows([member("n1")], "n1", "n1", new Map<string, MemberStatus>([["n1", { kind: "answered", status }]]));
  expect(rows[0]?.figures).toMatchObject({ dbSizeBytes: 40960n, dbSizeInUseBytes: 28672n, quotaBytes: 8n << 30n, fsyncP99Ms: 2.5, readsTotal: 1234n });
});

test("without the leader's answer, lag is measured from the highest commit index any member reported", () => {
  const statuses = new Map<string, MemberStatus>([
    ["n2", answered("n2", "follower", 50n, 45n)],
    ["n3", answered("n3", "follower", 48n, 48n)],
  ]);
  const rows = memberRows([member("n1"), member("n2"), member("n3")], "n1", "n2", statuses);
  expect(rows.map((r) => r.lag)).toEqual([undefined, 5n, 2n]);
});

test("rates come from consecutive samples within the window; a counter that went down is a reset, not a negative rate", () => {
  const history = new RateHistory(10_000);
  history.add({ atMs: 0, commitIndex: 100n, readsTotal: undefined });
  history.add({ atMs: 2_000, commitIndex: 140n, readsTotal: undefined });
  history.add({ atMs: 4_000, commitIndex: 10n, readsTotal: undefined });
  history.add({ atMs: 6_000, commitIndex: 30n, readsTotal: 5n });
  history.add({ atMs: 8_000, commitIndex: 30n, readsTotal: 25n });
  expect(history.points().map((p) => [p.atMs, p.writesPerSecond, p.readsPerSecond])).toEqual([
    [2_000, 20, undefined],
    [6_000, 10, undefined],
    [8_000, 0, 10],
  ]);
  history.add({ atMs: 13_000, commitIndex: 40n, readsTotal: 30n });
  // Samples older than the window fell out.
  expect(history.points()[0]?.atMs).toBe(6_000);
});

test("error codes are named as the API docs name them", () => {
  expect(codeName(Code.FailedPrecondition)).toBe("failed_precondition");
  expect(codeName(Code.Unauthenticated)).toBe("unauthenticated");
  expect(codeName(Code.InvalidArgument)).toBe("invalid_argument");
});
