import type { TargetSystem } from "../../src/bench/index.ts";
import type { BenchResults } from "./bench-results.ts";

export interface GoalCheck {
  readonly goal: string;
  /** raftkv's figure ÷ the reference figure. */
  readonly ratio: number | undefined;
  /** The ratio the goal asks for, and in which direction. */
  readonly target: number;
  readonly higherIsBetter: boolean;
  readonly met: boolean | undefined;
}

/**
 * The performance goals of the benchmark issue, evaluated on one run.
 * These are benchmark outcomes to read, never a pass/fail of the run.
 */
export function checkGoals(results: BenchResults): GoalCheck[] {
  const throughput = (id: string, system: TargetSystem): number | undefined =>
    results.scenarios.find((s) => s.id === id)?.runs.find((r) => r.system === system)?.load.throughput;
  const p99 = (id: string, system: TargetSystem): number | undefined =>
    results.scenarios.find((s) => s.id === id)?.runs.find((r) => r.system === system)?.load.latency.p99Ms;
  const h2 = (inFlight: number, system: TargetSystem): number | undefined =>
    results.h2load.find((r) => r.system === system && r.h2load.inFlight === inFlight)?.h2load.throughput;
  const maxRss = (system: TargetSystem): number | undefined => {
    const summary = results.systems.find((s) => s.system === system);
    return summary === undefined ? undefined : Math.max(...Object.values(summary.peakRssBytes));
  };
  const goal = (text: string, a: number | undefined, b: number | undefined, target: number, higherIsBetter: boolean): GoalCheck => {
    const ratio = a === undefined || b === undefined || b === 0 ? undefined : a / b;
    return { goal: text, ratio, target, higherIsBetter, met: ratio === undefined ? undefined : higherIsBetter ? ratio >= target : ratio <= target };
  };
  const checks: GoalCheck[] = [];
  for (const inFlight of [16, 100, 1000]) {
    checks.push(goal(`Put throughput at ${inFlight} in flight (h2load)`, h2(inFlight, "raftkv"), h2(inFlight, "etcd"), 1, true));
    checks.push(
      goal(
        `Put throughput at ${inFlight} in flight (raftkv bench)`,
        throughput(`put-256-${inFlight}`, "raftkv"),
        throughput(`put-256-${inFlight}`, "etcd"),
        1,
        true,
      ),
    );
  }
  checks.push(
    goal("Linearizable Get throughput at 100 in flight", throughput("get-linearizable-100", "raftkv"), throughput("get-linearizable-100", "etcd"), 1, true),
  );
  checks.push(
    goal("Linearizable Range throughput at 100 in flight", throughput("range-100-keys-100", "raftkv"), throughput("range-100-keys-100", "etcd"), 1, true),
  );
  checks.push(goal("Put p99 at 100 in flight", p99("put-256-100", "raftkv"), p99("put-256-100", "etcd"), 1, false));
  checks.push(goal("Stale Get vs etcd's linearizable Get", throughput("get-stale-100", "raftkv"), throughput("get-linearizable-100", "etcd"), 3, true));
  checks.push(goal("Peak RSS per node", maxRss("raftkv"), maxRss("etcd"), 1, false));
  return checks;
}
