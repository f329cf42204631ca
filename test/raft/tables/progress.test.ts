import { describe, expect, test } from "bun:test";
import { Progress, type ProgressState, type RejectOutcome } from "../../../src/raft/progress.ts";

/** A progress in `state` with the given match/next (built through its own transitions). */
function progress(state: ProgressState, match: number, next: number): Progress {
  const pr = new Progress(next, 4, 0);
  if (match > 0) pr.onAppendAck(match);
  switch (state) {
    case "probe":
      pr.becomeProbe();
      break;
    case "replicate":
      pr.becomeReplicate();
      break;
    case "snapshot":
      pr.becomeSnapshot(next);
      break;
  }
  return pr;
}

/** Probing: a fresh peer (match 0, next anywhere), or one that matched and then went quiet (next = match + 1). */
function probing(match: number, next: number): Progress {
  if (match === 0) return new Progress(next, 4, 0);
  const pr = new Progress(next, 4, 0);
  pr.onAppendAck(match);
  pr.onUnreachable();
  if (pr.next !== next) throw new Error(`a probing peer that matched ${match} resumes at ${pr.next}, not ${next}`);
  return pr;
}

const shape = (pr: Progress): string => `${pr.state} match=${pr.match} next=${pr.next}${pr.isPaused() ? " paused" : ""}`;

describe("Progress: the leader's flow control towards one peer", () => {
  test.each<[string, ProgressState, number, number, number, string]>([
    ["a probe that finds the match point turns into replication", "probe", 3, 4, 6, "replicate match=6 next=7"],
    ["an old ack changes nothing", "replicate", 5, 6, 4, "replicate match=5 next=6"],
    ["a snapshot acknowledged past its index ends", "snapshot", 0, 10, 10, "replicate match=10 next=11"],
  ])("ack: %s", (_what, state, match, next, ack, expected) => {
    const pr = progress(state, match, next);
    pr.onAppendAck(ack);
    expect(shape(pr)).toBe(expected);
  });

  test.each<[string, ProgressState, number, number, number, number, RejectOutcome, string]>([
    ["replicating, a reject above match falls back to probing at match + 1", "replicate", 5, 9, 8, 5, "retry", "probe match=5 next=6"],
    ["replicating, a reject at or below match is stale", "replicate", 5, 9, 5, 2, "stale", "replicate match=5 next=6"],
    ["probing, a reject of another append is stale", "probe", 0, 7, 5, 2, "stale", "probe match=0 next=7"],
    ["probing, the hint jumps back to where the logs agree", "probe", 0, 10, 9, 4, "retry", "probe match=0 next=5"],
    ["probing, no useful hint still steps back one", "probe", 0, 10, 9, 9, "retry", "probe match=0 next=9"],
    ["a reject of the probe at match: the peer lost what it acknowledged", "probe", 6, 7, 6, 2, "regressed", "probe match=2 next=3"],
  ])("reject: %s", (_what, state, match, next, rejected, hint, outcome, expected) => {
    const pr = state === "probe" ? probing(match, next) : progress(state, match, next);
    expect(pr.onReject(rejected, hint)).toBe(outcome);
    expect(shape(pr)).toBe(expected);
  });

  test("probing sends one append at a time; a heartbeat answer lets the next one go", () => {
    const pr = progress("probe", 0, 1);
    expect(pr.isPaused()).toBe(false);
    pr.onAppendSent(3);
    expect(pr.isPaused()).toBe(true);
    pr.onHeartbeatResponse();
    expect(pr.isPaused()).toBe(false);
  });

  test("replicating pipelines up to the window; a heartbeat answer on a full window frees the oldest slot", () => {
    const pr = progress("replicate", 0, 1);
    for (let i = 1; i <= 4; i++) pr.onAppendSent(i * 10);
    expect(shape(pr)).toBe("replicate match=0 next=41 paused");
    pr.onHeartbeatResponse();
    expect(pr.inflight).toBe(3);
    pr.onAppendAck(30);
    expect(shape(pr)).toBe("replicate match=30 next=41");
  });

  test("a failed snapshot is retried from scratch, after the peer is heard from again", () => {
    const pr = progress("snapshot", 0, 10);
    pr.onSnapshotReported(false);
    expect(shape(pr)).toBe("probe match=0 next=1 paused");
    const done = progress("snapshot", 0, 10);
    done.onSnapshotReported(true);
    expect(shape(done)).toBe("probe match=0 next=11 paused");
  });

  test("rounds and contact: only a newer round counts; the sweep reads and clears activity", () => {
    const pr = progress("replicate", 0, 1);
    expect(pr.ackRound(2)).toBe(true);
    expect(pr.ackRound(2)).toBe(false);
    expect(pr.ackRound(1)).toBe(false);
    expect(pr.sweepActive()).toBe(false);
    pr.heardFrom(7);
    expect(pr.lastContactTick).toBe(7);
    expect(pr.sweepActive()).toBe(true);
    expect(pr.sweepActive()).toBe(false);
  });
});
