import type { LoadMode } from "./load-options.ts";
import { parseReadLevel } from "./read-level.ts";
import type { Workload } from "./workload.ts";

/** Parses a positive (or zero, when allowed) number flag, naming the flag on error. */
export function numberFlag(name: string, text: string | undefined, fallback: number, allowZero = false): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(`--${name} must be a ${allowZero ? "non-negative" : "positive"} number, got "${text}"`);
  }
  return value;
}

export interface WorkloadFlags {
  workload: string;
  read: string;
  readRatio: number;
  rangeCount: number;
}

export function workloadFrom(flags: WorkloadFlags): Workload {
  const read = parseReadLevel(flags.read);
  switch (flags.workload) {
    case "put":
      return { kind: "put", keys: "random" };
    case "fill":
      return { kind: "put", keys: "sequential" };
    case "get":
      return { kind: "get", read };
    case "mixed":
      if (flags.readRatio < 0 || flags.readRatio > 1) {
        throw new Error(`--read-ratio must be between 0 and 1, got ${flags.readRatio}`);
      }
      return { kind: "mixed", readRatio: flags.readRatio, read };
    case "range":
      return { kind: "range", count: flags.rangeCount, read };
    default:
      throw new Error(`unknown --workload "${flags.workload}" (expected put, fill, get, mixed or range)`);
  }
}

export function modeFrom(inFlight: number, ratePerSecond: number): LoadMode {
  return ratePerSecond > 0 ? { kind: "open", ratePerSecond, maxInFlight: Math.max(inFlight, 10_000) } : { kind: "closed", inFlight };
}
