import { explainIllegal } from "./explanation.ts";
import { LinearizationSearch } from "./linearization-search.ts";
import type { Model } from "./model.ts";
import type { Operation } from "./operation.ts";

export type CheckResult<I, O> =
  | { readonly kind: "ok" }
  | {
      readonly kind: "illegal";
      readonly partition: number;
      readonly history: readonly Operation<I, O>[];
      readonly explanation: string;
    }
  | { readonly kind: "unknown"; readonly reason: "timeout" };

export interface CheckOptions {
  /** Wall-clock budget for the whole check; past it the result is "unknown". */
  readonly timeoutMs?: number;
}

/** Event visits per slice before the deadline is looked at again. */
const initialSliceSteps = 1 << 14;
const maxSliceSteps = 1 << 16;

/**
 * Decides whether `ops` is linearizable with respect to `model`.
 *
 * Recording a history for it:
 * - `call` is taken before the request is sent and `return` after the
 *   response arrives, on one clock for all clients. Operations whose
 *   timestamps touch (one's return equals the other's call) count as
 *   concurrent, so give causally later calls a strictly later timestamp
 *   (e.g. a global event counter) or an ordering bug can hide in the tie.
 * - An operation whose outcome is unknown (timeout, crash, connection lost)
 *   has `output: undefined`; it may take effect at any time after its call,
 *   or never, whatever its `return` says. Never record it as failed unless
 *   the server said it definitely did not happen; such an operation is best
 *   left out of the history.
 *
 * Partitions (e.g. keys) are searched in round-robin slices of growing size
 * so that one hard partition cannot hide an easy illegal one behind a
 * timeout. "unknown" means the search ran out of time: it is not a pass.
 */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], options?: CheckOptions): CheckResult<I, O> {
  validate(ops);
  const partitions = model.partition ? model.partition(ops) : [ops.slice()];
  const deadline = options?.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.timeoutMs;

  interface Pending {
    readonly index: number;
    readonly history: readonly Operation<I, O>[];
    search: LinearizationSearch<S, I, O> | undefined;
  }
  let pending: Pending[] = partitions.map((history, index) => ({ index, history, search: undefined }));
  let slice = initialSliceSteps;
  while (pending.length > 0) {
    const stillRunning: Pending[] = [];
    for (const part of pending) {
      if (performance.now() > deadline) return { kind: "unknown", reason: "timeout" };
      part.search ??= new LinearizationSearch(model, part.history);
      const status = part.search.run(slice);
      switch (status) {
        case "linearizable":
          break;
        case "illegal":
          return {
            kind: "illegal",
            partition: part.index,
            history: part.history,
            explanation: explainIllegal(model, part.history, part.search.deepestAttempt),
          };
        case "running":
          stillRunning.push(part);
          break;
        default: {
          const unreachable: never = status;
          throw new Error(`unexpected search status ${String(unreachable)}`);
        }
      }
    }
    pending = stillRunning;
    slice = Math.min(slice * 2, maxSliceSteps);
  }
  return { kind: "ok" };
}

function validate(ops: readonly Operation<unknown, unknown>[]): void {
  ops.forEach((op, index) => {
    if (Number.isNaN(op.call) || op.call === Number.POSITIVE_INFINITY) {
      throw new Error(`operation ${index} (client ${op.clientId}) has an invalid call time ${op.call}`);
    }
    if (op.output !== undefined && !(op.call <= op.return)) {
      throw new Error(`operation ${index} (client ${op.clientId}) returns at ${op.return}, before its call at ${op.call}`);
    }
  });
}
