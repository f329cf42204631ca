import type { LoadResult, TargetSystem, VerificationResult } from "../../src/bench/index.ts";
import type { H2loadResult } from "./h2load.ts";
import type { MachineInfo } from "./machine-info.ts";
import type { NodeResources } from "./resource-monitor.ts";

export interface ScenarioRun {
  readonly system: TargetSystem;
  readonly load: LoadResult;
  readonly server: readonly NodeResources[];
  /** The machine's 1-minute load average when the run ended: other work on the box shows here. */
  readonly loadAverage1m: number;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly mode: string;
  readonly inFlight: number | undefined;
  readonly series: string | undefined;
  readonly valueSize: number;
  readonly runs: readonly ScenarioRun[];
}

export interface H2loadRun {
  readonly system: TargetSystem;
  readonly h2load: H2loadResult;
  /** Writes the server applied during the run (revision/index difference). */
  readonly appliedWrites: number;
  readonly server: readonly NodeResources[];
}

export interface SystemSummary {
  readonly system: TargetSystem;
  readonly nodes: number;
  /** Per node: the kernel's RSS high-water mark (VmHWM) at the end of the run. */
  readonly peakRssBytes: Readonly<Record<string, number>>;
  /** Per node: CPU seconds over the whole run. */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  /** Acknowledged writes not read back (verification.lost lists at most 100). */
  readonly lostWrites: number;
  readonly verification: VerificationResult;
}

export interface BenchResults {
  readonly plan: "smoke" | "full";
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly clientLibrary: string;
  readonly machine: MachineInfo;
  /** 1-minute load average at the start and the end of the session (the box is shared). */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly systems: readonly SystemSummary[];
  readonly scenarios: readonly ScenarioResult[];
  readonly h2load: readonly H2loadRun[];
  /** Empty when every acknowledged write was read back. */
  readonly failures: readonly string[];
}
