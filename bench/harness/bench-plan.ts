import type { LoadMode, Workload } from "../../src/bench/index.ts";

/** One row of the comparison: the same workload run against every system. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Scenarios of the "put-in-flight" series are drawn in the chart. */
  readonly series?: "put-in-flight";
  readonly workload: Workload;
  readonly mode: LoadMode;
  readonly requests?: number;
  readonly durationMs?: number;
  readonly keyPrefix: string;
  readonly keySpaceSize: number;
  readonly valueSize: number;
}

/** One h2load level: clients × streams per client = requests in flight. */
export interface H2loadLevel {
  readonly clients: number;
  readonly streamsPerClient: number;
  readonly requests: number;
}

export interface BenchPlan {
  readonly name: "smoke" | "full";
  readonly scenarios: readonly Scenario[];
  readonly h2load: readonly H2loadLevel[];
  /** Key prefixes written by the plan; verification reads all of them back. */
  readonly prefixes: readonly string[];
}

const MAIN = "kv/";

/** What each run's size is: a request budget (smoke) or a time budget (full). */
interface Sizing {
  main: number;
  small: number;
  budget: (seconds: number) => { requests?: number; durationMs?: number };
}

function scenarios(sizing: Sizing): Scenario[] {
  const closed = (inFlight: number): LoadMode => ({ kind: "closed", inFlight });
  const main = { keyPrefix: MAIN, keySpaceSize: sizing.main, valueSize: 256 };
  const list: Scenario[] = [
    // Fills the main key space (and warms both servers up) so reads find keys.
    {
      id: "fill",
      title: "Put 256 B, sequential keys (fill)",
      workload: { kind: "put", keys: "sequential" },
      mode: closed(100),
      requests: sizing.main,
      ...main,
    },
  ];
  for (const inFlight of [1, 16, 100, 1000]) {
    list.push({
      id: `put-256-${inFlight}`,
      title: `Put 256 B`,
      series: "put-in-flight",
      workload: { kind: "put", keys: "random" },
      mode: closed(inFlight),
      ...sizing.budget(inFlight === 1 ? 6 : 8),
      ...main,
    });
  }
  list.push(
    { id: "get-linearizable-100", title: "Get linearizable", workload: { kind: "get", read: "linearizable" }, mode: closed(100), ...sizing.budget(8), ...main },
    { id: "get-stale-100", title: "Get stale / serializable", workload: { kind: "get", read: "stale" }, mode: closed(100), ...sizing.budget(8), ...main },
    {
      id: "mixed-90-10-100",
      title: "Mixed 90/10 read/write (linearizable)",
      workload: { kind: "mixed", readRatio: 0.9, read: "linearizable" },
      mode: closed(100),
      ...sizing.budget(8),
      ...main,
    },
    {
      id: "range-100-keys-100",
      title: "Range 100 keys linearizable",
      workload: { kind: "range", count: 100, read: "linearizable" },
      mode: closed(100),
      ...sizing.budget(8),
      ...main,
    },
  );
  for (const [label, valueSize] of [
    ["16 B", 16],
    ["1 KiB", 1024],
    ["64 KiB", 65536],
  ] as const) {
    list.push({
      id: `put-${valueSize}-100`,
      title: `Put ${label}`,
      workload: { kind: "put", keys: "random" },
      mode: closed(100),
      ...sizing.budget(6),
      keyPrefix: `v${valueSize}/`,
      keySpaceSize: sizing.small,
      valueSize,
    });
  }
  list.push({
    id: "put-256-open-1000",
    title: "Put 256 B, open loop 1000/s",
    workload: { kind: "put", keys: "random" },
    mode: { kind: "open", ratePerSecond: 1000, maxInFlight: 10_000 },
    ...sizing.budget(6),
    ...main,
  });
  return list;
}

const PREFIXES = [MAIN, "v16/", "v1024/", "v65536/"];

function h2loadLevels(requestsFor: (inFlight: number) => number): H2loadLevel[] {
  return [
    { clients: 1, streamsPerClient: 1, requests: requestsFor(1) },
    { clients: 4, streamsPerClient: 4, requests: requestsFor(16) },
    { clients: 10, streamsPerClient: 10, requests: requestsFor(100) },
    { clients: 20, streamsPerClient: 50, requests: requestsFor(1000) },
  ];
}

/** The real run: about 2.5 minutes of load per system plus h2load; under 10 minutes in all. */
export function fullPlan(): BenchPlan {
  return {
    name: "full",
    scenarios: scenarios({ main: 100_000, small: 1000, budget: (seconds) => ({ durationMs: seconds * 1000 }) }),
    h2load: h2loadLevels((inFlight) => (inFlight === 1 ? 3000 : inFlight === 16 ? 20_000 : 40_000)),
    prefixes: PREFIXES,
  };
}

/** CI's smoke run: a few hundred requests per workload, to keep the harness working. */
export function smokePlan(): BenchPlan {
  return {
    name: "smoke",
    scenarios: scenarios({ main: 300, small: 50, budget: () => ({ requests: 300 }) }),
    h2load: h2loadLevels((inFlight) => Math.max(200, inFlight)),
    prefixes: PREFIXES,
  };
}
