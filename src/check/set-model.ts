import type { Model, StepResult } from "./model.ts";

/** A grow-only set of elements (the set/append workload): add an element, or read them all. */
export type SetInput = { readonly kind: "add"; readonly element: string } | { readonly kind: "read" };

export type SetOutput = { readonly kind: "add" } | { readonly kind: "read"; readonly elements: readonly string[] };

/** Elements in ascending order, without duplicates: one canonical form per set. */
export type SetState = readonly string[];

const rejected: StepResult<SetState> = { ok: false };

function insertSorted(state: SetState, element: string): SetState {
  let low = 0;
  let high = state.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((state[middle] ?? "") < element) low = middle + 1;
    else high = middle;
  }
  if (state[low] === element) return state;
  return [...state.slice(0, low), element, ...state.slice(low)];
}

/** Exact set equality; a read listing an element twice is wrong (the store broke the set). */
function sameElements(state: SetState, elements: readonly string[]): boolean {
  if (elements.length !== state.length) return false;
  const sorted = [...elements].sort();
  return sorted.every((element, index) => element === state[index]);
}

function stepSet(state: SetState, input: SetInput, output: SetOutput | undefined): StepResult<SetState> {
  switch (input.kind) {
    case "add":
      if (output !== undefined && output.kind !== "add") return rejected;
      return { ok: true, next: insertSorted(state, input.element) };
    case "read":
      if (output === undefined) return { ok: true, next: state };
      return output.kind === "read" && sameElements(state, output.elements) ? { ok: true, next: state } : rejected;
    default: {
      const unreachable: never = input;
      throw new Error(`unknown set input ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * One set, checked as a whole (it is a single object, so there is nothing
 * to partition). Reads compare as sets: the order a store lists elements in
 * is not part of the contract.
 */
export const setModel: Model<SetState, SetInput, SetOutput> = {
  init: () => [],
  step: stepSet,
  key: (state) => JSON.stringify(state),
  describeOperation(input, output) {
    switch (input.kind) {
      case "add":
        return `add(${JSON.stringify(input.element)})${output === undefined ? " -> ?" : ""}`;
      case "read":
        return `read() -> ${output?.kind === "read" ? JSON.stringify([...output.elements].sort()) : "?"}`;
      default: {
        const unreachable: never = input;
        throw new Error(`unknown set input ${JSON.stringify(unreachable)}`);
      }
    }
  },
  isReadOnly: (input) => input.kind === "read",
};
