import type { ReadLevel } from "./read-level.ts";

/** What a benchmark run asks the store to do, one operation at a time. */
export type Workload =
  | { kind: "put"; keys: "random" | "sequential" }
  | { kind: "get"; read: ReadLevel }
  | { kind: "mixed"; readRatio: number; read: ReadLevel }
  | { kind: "range"; count: number; read: ReadLevel };

export function describeWorkload(workload: Workload): string {
  switch (workload.kind) {
    case "put":
      return workload.keys === "sequential" ? "put (sequential keys)" : "put";
    case "get":
      return `get ${workload.read}`;
    case "mixed":
      return `mixed ${Math.round(workload.readRatio * 100)}/${Math.round((1 - workload.readRatio) * 100)} read/write, ${workload.read} reads`;
    case "range":
      return `range ${workload.count} keys ${workload.read}`;
    default: {
      const unknown: never = workload;
      throw new Error(`unknown workload ${JSON.stringify(unknown)}`);
    }
  }
}
