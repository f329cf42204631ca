/**
 * One client operation as recorded by a history: its invocation, and its
 * response if one arrived. Histories from the simulator and from real
 * processes are both expressed this way so one checker serves both.
 */
export interface Operation<I, O> {
  readonly clientId: number;
  readonly input: I;
  /** Invocation time (any monotonic unit: virtual ticks or ms). */
  readonly call: number;
  /** undefined = ambiguous (timed out / crashed: may or may not have taken effect). */
  readonly output: O | undefined;
  /** Response time; Number.POSITIVE_INFINITY when ambiguous. */
  readonly return: number;
}
