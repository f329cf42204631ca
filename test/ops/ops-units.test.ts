import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { defaultIndexBump } from "../../src/backup/index-bump.ts";
import type { EngineStatus } from "../../src/engine/engine.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { Logger } from "../../src/log/logger.ts";
import { FsyncMonitor } from "../../src/ops/fsync-monitor.ts";
import { evaluateReadiness, type ReadinessSources } from "../../src/ops/readiness.ts";
import { RecentDurations } from "../../src/ops/recent-durations.ts";
import { SpaceReclaimer } from "../../src/ops/space-reclaimer.ts";
import { formatBytes, parseBytes } from "../../src/units/byte-size.ts";
import { bytes, commandEntry, deleteEntry, putEntry } from "../fsm/commands.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const leaderStatus: EngineStatus = { id: "n1", role: "leader", term: 3, leaderId: "n1", commitIndex: 10, appliedIndex: 10, lastLogIndex: 10 };

function sources(overrides: Partial<ReadinessSources> = {}): ReadinessSources {
  return {
    failure: () => undefined,
    shuttingDown: () => false,
    status: () => leaderStatus,
    lastLeaderContactMs: () => 0,
    votersInContact: () => ({ inContact: 3, voters: 3 }),
    storage: () => ({ ok: true }),
    ...overrides,
  };
}

describe("readiness", () => {
  const options = { contactMs: 1000 };

  test("a leader a quorum answered, caught up, with a writable data dir is ready", () => {
    expect(evaluateReadiness(sources(), options)).toMatchObject({ ready: true, reason: "" });
    expect(evaluateReadiness(sources({ votersInContact: () => ({ inContact: 2, voters: 3 }) }), options).ready).toBe(true);
  });

  test("each failing check is the reason, the first one first", () => {
    const reason = (s: Partial<ReadinessSources>): string => evaluateReadiness(sources(s), options).reason;
    expect(reason({ failure: () => new Error("disk I/O error") })).toBe("the engine stopped after a storage failure: disk I/O error");
    expect(reason({ shuttingDown: () => true })).toBe("the node is shutting down");
    expect(reason({ status: () => ({ ...leaderStatus, role: "candidate", leaderId: "" }) })).toContain("no leader is known (this node is a candidate");
    expect(reason({ votersInContact: () => ({ inContact: 1, voters: 3 }) })).toBe("this leader heard from 1 of 3 voters within 1000 ms; a quorum is 2");
    const follower = { ...leaderStatus, id: "n2", role: "follower" as const };
    expect(reason({ status: () => follower, lastLeaderContactMs: () => 1500 })).toBe("leader n1 was last heard from 1500 ms ago, over 1000 ms");
    expect(reason({ status: () => follower, lastLeaderContactMs: () => 200 })).toBe("");
    expect(reason({ status: () => ({ ...leaderStatus, commitIndex: 5000, appliedIndex: 10 }) })).toContain("4990 committed entries are not applied yet");
    expect(reason({ storage: () => ({ ok: false, error: "cannot write to the data dir d: EROFS" }) })).toBe("cannot write to the data dir d: EROFS");
  });
});

describe("units and counters", () => {
  test("sizes parse in binary and decimal units and print for people", () => {
    expect(parseBytes("quota-bytes", "8GiB")).toBe(8 * 1024 ** 3);
    expect(parseBytes("quota-bytes", "512MiB")).toBe(512 * 1024 ** 2);
    expect(parseBytes("quota-bytes", "1.5GB")).toBe(1_500_000_000);
    expect(parseBytes("quota-bytes", "1000000")).toBe(1_000_000);
    expect(() => parseBytes("quota-bytes", "lots")).toThrow('--quota-bytes: expected a size such as 8GiB, 512MiB or 1000000 (bytes), got "lots"');
    expect(formatBytes(9_540_000)).toBe("9.1 MiB");
    expect(formatBytes(512)).toBe("512 B");
  });

  test("recent durations give nearest-rank quantiles over the last window only", () => {
    const recent = new RecentDurations(100);
    expect(recent.quantile(0.99)).toBe(0);
    for (let i = 1; i <= 100; i++) recent.record(i);
    expect(recent.quantile(0.99)).toBe(99);
    expect(recent.quantile(0.5)).toBe(50);
    for (let i = 0; i < 100; i++) recent.record(1);
    expect(recent.quantile(0.99)).toBe(1);
  });

  test("the index bump covers a million entries a second of the backup's age plus a day", () => {
    expect(defaultIndexBump(0, 0)).toBe(86_400_000_000);
    expect(defaultIndexBump(0, 3_600_000)).toBe(90_000_000_000);
    // A clock that runs behind the backup's never shrinks the bump below the slack.
    expect(defaultIndexBump(10_000, 0)).toBe(86_400_000_000);
  });

  test("slow fsyncs warn with their duration, at most 3 per 10 s; every one reaches the metrics", () => {
    const warnings: Record<string, unknown>[] = [];
    const seen: number[] = [];
    let now = 0;
    const monitor = new FsyncMonitor({
      slowMs: 100,
      logger: { warn: (_m, fields) => warnings.push({ ...fields }) },
      onFsync: (ms) => seen.push(ms),
      now: () => now,
    });
    for (const ms of [5, 150, 250, 300, 400, 2]) monitor.observe(ms);
    expect(seen).toEqual([5, 150, 250, 300, 400, 2]);
    expect(warnings.map((w) => w.durationMs)).toEqual([150, 250, 300]);
    now = 11_000;
    monitor.observe(120);
    expect(warnings.at(-1)).toEqual({ durationMs: 120, thresholdMs: 100, suppressedSinceLast: 1 });
    expect(monitor.p99Ms()).toBe(400);
  });

  test("the logger drops undefined fields instead of printing error=undefined", () => {
    const lines: string[] = [];
    new Logger("info", "text", {}, (line) => lines.push(line)).warn("peer connection lost", { peer: "n2", error: undefined });
    expect(lines[0]).toEndWith("WARN peer connection lost peer=n2");
  });
});

describe("space reclaiming on a real state machine", () => {
  let dir: string;
  let fsm: KvStateMachine;

  beforeEach(() => {
    dir = tempDir("reclaim");
    fsm = KvStateMachine.open(join(dir, "kv.db"));
  });

  afterEach(() => {
    fsm.close();
    removeDir(dir);
  });

  test("deleted keys and compacted history become free pages; small steps give them back and shrink the database", () => {
    const value = new Uint8Array(4096).fill(1);
    const entries = Array.from({ length: 400 }, (_, i) => putEntry(i + 1, `k/${i}`, value));
    fsm.applyBatch(entries);
    const full = fsm.dbSpace();
    fsm.applyBatch([deleteEntry(401, "k/", { rangeEnd: bytes("k0") }), commandEntry(402, { case: "compact", value: { index: 402n } })]);
    const freed = fsm.dbSpace();
    expect(freed.sizeBytes).toBe(full.sizeBytes);
    expect(freed.freePages).toBeGreaterThan(300);
    const steps: number[] = [];
    const reclaimer = new SpaceReclaimer(fsm, { targetPauseMs: 2, onStep: (step) => steps.push(step.pages) });
    while (reclaimer.step() !== undefined) {}
    const after = fsm.dbSpace();
    expect(after.freePages).toBe(0);
    expect(after.sizeBytes).toBeLessThan(full.sizeBytes / 4);
    expect(steps.reduce((a, b) => a + b, 0)).toBe(freed.freePages);
    expect(reclaimer.reclaimedBytes).toBe(freed.freePages * freed.pageSize);
    expect(reclaimer.longestPauseMs).toBeGreaterThan(0);
    // The first step is small; steps grow while they stay well under the target.
    expect(steps[0]).toBe(64);
  });

  test("the quota alarm is state: under it growing commands are refused at apply, deletes are not, and it clears", () => {
    fsm.applyBatch([commandEntry(1, { case: "alarm", value: { active: true, usedBytes: 9000n, quotaBytes: 8000n, memberId: "n1" } })]);
    expect(fsm.quotaAlarm()).toEqual({ active: true, usedBytes: 9000, quotaBytes: 8000, memberId: "n1", index: 1 });
    const [put, del, grant] = fsm.applyBatch([
      putEntry(2, "a", "1"),
      deleteEntry(3, "a"),
      commandEntry(4, { case: "leaseGrant", value: { id: 7n, ttlMs: 10_000n } }),
    ]);
    expect(put).toMatchObject({ kind: "error", code: "quota" });
    expect(put?.kind === "error" ? put.message : "").toContain(
      "the quota is 7.8 KiB (8000 bytes) and the database is 8.8 KiB (9000 bytes) as measured by n1 at index 1",
    );
    expect(del).toMatchObject({ kind: "delete", deleted: 0 });
    expect(grant).toMatchObject({ kind: "error", code: "quota" });
    fsm.applyBatch([commandEntry(5, { case: "alarm", value: { active: false, usedBytes: 100n, quotaBytes: 8000n, memberId: "n1" } })]);
    expect(fsm.applyBatch([putEntry(6, "a", "1")])[0]).toMatchObject({ kind: "put" });
  });
});
