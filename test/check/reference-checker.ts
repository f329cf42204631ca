import type { RegisterInput, RegisterOutput } from "../../src/check/register-model.ts";
import type { RegisterOp } from "./history-builder.ts";

/**
 * A deliberately naive, obviously correct linearizability check for tiny
 * register histories: try every order of every subset of the ambiguous
 * operations together with all completed ones, respecting real time. No
 * memoization, no partitioning, no hints; exponential, so only for the
 * differential test.
 */
export function referenceLinearizable(history: readonly RegisterOp[]): boolean {
  const placed = new Array<boolean>(history.length).fill(false);
  const returnOf = (op: RegisterOp): number => (op.output === undefined ? Number.POSITIVE_INFINITY : op.return);

  const search = (store: ReadonlyMap<string, string>): boolean => {
    if (history.every((op, index) => placed[index] || op.output === undefined)) return true;
    for (let index = 0; index < history.length; index++) {
      const op = history[index];
      if (op === undefined || placed[index]) continue;
      // Every unplaced operation that returned strictly before this one was called must come first.
      const mustWait = history.some((other, j) => !placed[j] && j !== index && returnOf(other) < op.call);
      if (mustWait) continue;
      const next = apply(store, op.input, op.output);
      if (next === undefined) continue;
      placed[index] = true;
      const found = search(next);
      placed[index] = false;
      if (found) return true;
    }
    return false;
  };
  return search(new Map());
}

function apply(store: ReadonlyMap<string, string>, input: RegisterInput, output: RegisterOutput | undefined): ReadonlyMap<string, string> | undefined {
  const current = store.get(input.key) ?? null;
  switch (input.kind) {
    case "read":
      if (output === undefined) return store;
      return output.kind === "read" && output.value === current ? store : undefined;
    case "write":
      return new Map(store).set(input.key, input.value);
    case "cas": {
      const swaps = current === input.expect;
      if (output !== undefined && (output.kind !== "cas" || output.ok !== swaps)) return undefined;
      return swaps ? new Map(store).set(input.key, input.value) : store;
    }
  }
}
