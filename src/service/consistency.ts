import { Consistency } from "../gen/raftkv/v1/kv_pb.ts";
import type { ReadConsistency } from "../engine/engine.ts";
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
