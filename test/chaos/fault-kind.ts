/** Every fault the nemesis can inject. */
export type FaultKind =
  | "kill"
  | "pause"
  | "torn-write"
  | "failpoint-crash"
  | "graceful-restart"
  | "partition"
  | "link-delay"
  | "link-loss"
  | "leader-transfer"
  | "membership"
  | "cluster-crash";

export const allFaultKinds: readonly FaultKind[] = [
  "kill",
  "pause",
  "torn-write",
  "failpoint-crash",
  "graceful-restart",
  "partition",
  "link-delay",
  "link-loss",
  "leader-transfer",
  "membership",
  "cluster-crash",
];

/** Faults on one process; all a single node can suffer. ("cluster-crash" on one node is just a kill.) */
export const singleNodeFaults: readonly FaultKind[] = ["kill", "pause", "torn-write", "failpoint-crash", "graceful-restart"];

/** Everything, for a cluster of 3 or more. */
export const clusterFaults: readonly FaultKind[] = allFaultKinds;

/** Faults that need the Cluster service (membership and operations); skipped while it answers Unimplemented. */
export const adminFaults: readonly FaultKind[] = ["leader-transfer", "membership"];

export function zeroFaultCounts(): Record<FaultKind, number> {
  return {
    kill: 0,
    pause: 0,
    "torn-write": 0,
    "failpoint-crash": 0,
    "graceful-restart": 0,
    partition: 0,
    "link-delay": 0,
    "link-loss": 0,
    "leader-transfer": 0,
    membership: 0,
    "cluster-crash": 0,
  };
}

export interface FaultRecord {
  readonly kind: FaultKind;
  /** The node(s) it hit, comma-separated. */
  readonly node: string;
  /** performance.now() at injection and at recovery, comparable with history times. */
  readonly start: number;
  readonly end: number;
  readonly detail: string;
}
