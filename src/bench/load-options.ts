import type { Workload } from "./workload.ts";

/**
 * closed: a fixed number of requests always in flight (each finished request
 * starts the next). open: requests start on a fixed schedule whatever the
 * server does, and latency counts from the scheduled start, so a slow server
 * cannot hide its queueing (no coordinated omission).
 */
export type LoadMode = { kind: "closed"; inFlight: number } | { kind: "open"; ratePerSecond: number; maxInFlight: number };

export interface LoadOptions {
  workload: Workload;
  mode: LoadMode;
  /** Stop after this many requests (including failed ones)… */
  requests?: number;
  /** …or after this long, whichever comes first. At least one is required. */
  durationMs?: number;
  keyPrefix: string;
  keySpaceSize: number;
  valueSize: number;
  seed: number;
}

export function describeMode(mode: LoadMode): string {
  switch (mode.kind) {
    case "closed":
      return `${mode.inFlight} in flight`;
    case "open":
      return `open loop ${mode.ratePerSecond}/s`;
    default: {
      const unknown: never = mode;
      throw new Error(`unknown load mode ${JSON.stringify(unknown)}`);
    }
  }
}
