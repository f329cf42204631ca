import type { ReadConsistency } from "../engine/engine.ts";
import { Consistency } from "../gen/raftkv/v1/kv_pb.ts";
import { invalidArgument } from "./validation.ts";

export function readConsistencyOf(field: string, consistency: Consistency): ReadConsistency {
  switch (consistency) {
    case Consistency.UNSPECIFIED:
    case Consistency.LINEARIZABLE:
      return "linearizable";
    case Consistency.LEASE:
      return "lease";
    case Consistency.STALE:
      return "stale";
    default:
      throw invalidArgument(field, `unknown consistency level ${String(consistency)}`);
  }
}

/** A consistency level by name, as users type it (REST query, CLI flag); empty = the default. */
export function parseConsistencyName(field: string, text: string | null | undefined): Consistency {
  switch (text ?? "") {
    case "":
    case "linearizable":
      return Consistency.LINEARIZABLE;
    case "lease":
      return Consistency.LEASE;
    case "stale":
      return Consistency.STALE;
    default:
      throw invalidArgument(field, `must be linearizable, lease or stale, got ${JSON.stringify(text)}`);
  }
}
