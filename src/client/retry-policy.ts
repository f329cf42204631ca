/** How long and how hard the client tries before reporting a failure. */
export interface RetryPolicy {
  /** The overall deadline of one client call, retries included. */
  readonly timeoutMs: number;
  /** The longest one attempt on one endpoint may take. */
  readonly attemptTimeoutMs: number;
  /** First pause after every endpoint failed once; doubles up to maxBackoffMs. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  timeoutMs: 15_000,
  attemptTimeoutMs: 5_000,
  initialBackoffMs: 50,
  maxBackoffMs: 1_000,
};
