import type { Operation } from "./operation.ts";

export type StepResult<S> = { readonly ok: true; readonly next: S } | { readonly ok: false };

/**
 * A sequential specification the checker searches against. `step` must be
 * pure: the search calls it many times on the same state while backtracking.
 */
export interface Model<S, I, O> {
  init(): S;
  /** Applies `input` to `state`; output undefined means "any output is acceptable". */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** Splits a history into independent sub-histories (e.g. per key). Optional. */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** A canonical string of a state, for memoizing visited (linearized-set, state) pairs. */
  key(state: S): string;
  describeOperation?(input: I, output: O | undefined): string;
  /**
   * Optional search hint: true only if this operation, with this output,
   * leaves the state unchanged in every state where it is legal (a read; a
   * failed compare-and-set). Such an operation can be linearized as soon as
   * it is legal without losing any linearization, which spares the search
   * from branching over where concurrent reads go. When in doubt, omit it or
   * return false: a wrong true can make the checker report a false illegal.
   */
  isReadOnly?(input: I, output: O | undefined): boolean;
}
