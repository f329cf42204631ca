/**
 * How fresh a benchmark read must be. "stale" maps to raftkv's
 * CONSISTENCY_STALE and to etcd's serializable (member-local) Range.
 */
export type ReadLevel = "linearizable" | "stale";

export function parseReadLevel(text: string): ReadLevel {
  switch (text) {
    case "linearizable":
      return "linearizable";
    case "stale":
    case "serializable":
      return "stale";
    default:
      throw new Error(`unknown read level "${text}" (expected linearizable, stale or serializable)`);
  }
}
