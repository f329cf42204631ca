import type { SeededRandom } from "../random/seeded-random.ts";
import type { KeySpace } from "./key-space.ts";
import type { ReadLevel } from "./read-level.ts";
import type { Workload } from "./workload.ts";

/** One request the load generator sends. */
export type Operation =
  | { kind: "put"; keyIndex: number }
  | { kind: "get"; keyIndex: number; read: ReadLevel }
  | { kind: "range"; firstIndex: number; count: number; read: ReadLevel };

/** Draws the next operation of a workload; deterministic for a given seed. */
export class OperationSource {
  private issued = 0;

  constructor(
    private readonly workload: Workload,
    private readonly keys: KeySpace,
    private readonly random: SeededRandom,
  ) {}

  next(): Operation {
    const ordinal = this.issued++;
    const workload = this.workload;
    switch (workload.kind) {
      case "put":
        return {
          kind: "put",
          keyIndex: workload.keys === "sequential" ? ordinal % this.keys.size : this.random.int(this.keys.size),
        };
      case "get":
        return { kind: "get", keyIndex: this.random.int(this.keys.size), read: workload.read };
      case "mixed": {
        const keyIndex = this.random.int(this.keys.size);
        return this.random.next() < workload.readRatio ? { kind: "get", keyIndex, read: workload.read } : { kind: "put", keyIndex };
      }
      case "range": {
        const span = Math.max(1, this.keys.size - workload.count + 1);
        return { kind: "range", firstIndex: this.random.int(span), count: workload.count, read: workload.read };
      }
      default: {
        const unknown: never = workload;
        throw new Error(`unknown workload ${JSON.stringify(unknown)}`);
      }
    }
  }
}
