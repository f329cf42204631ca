/** What a committed proposal produced once the state machine applied it. */
export interface Applied<R> {
  readonly index: number;
  readonly result: R;
}
