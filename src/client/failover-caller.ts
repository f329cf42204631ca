import { Code, ConnectError } from "@connectrpc/connect";
import type { ResponseHeader } from "../gen/raftkv/v1/kv_pb.ts";
import { Backoff, sleep } from "./backoff.ts";
import { classifyCallFailure } from "./call-failure.ts";
import type { Endpoint, EndpointPool } from "./endpoint-pool.ts";
import type { RetryPolicy } from "./retry-policy.ts";
import { WriteOutcomeUnknownError } from "./write-outcome-unknown-error.ts";

/**
 * `read`: repeating it changes nothing, so it may be retried anywhere.
 * `write`: retried only when the failure proves it never entered a log.
 */
export type CallKind = "read" | "write";

/** Per-call options of every client method. */
export interface ClientCallOptions {
  readonly signal?: AbortSignal;
  /** Overrides the client's overall deadline for this call. */
  readonly timeoutMs?: number;
}

const DISCOVERY_INTERVAL_MS = 1_000;

/** What one attempt gets: pass both to the generated client's call. */
export interface AttemptOptions {
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
}

/** Runs one logical call over the endpoint pool: leader first, failover, backoff, deadline. */
export class FailoverCaller {
  private discovering = false;
  /** No lookup before this time: at most one a second while the leader's address stays unknown, not one per call. */
  private nextDiscoveryAt = 0;

  constructor(
    private readonly pool: EndpointPool,
    private readonly policy: RetryPolicy,
    private readonly discoverMembers: boolean,
  ) {}

  async call<T extends { header?: ResponseHeader }>(
    method: string,
    kind: CallKind,
    attempt: (endpoint: Endpoint, options: AttemptOptions) => Promise<T>,
    options: ClientCallOptions = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.policy.timeoutMs;
    const deadline = performance.now() + timeoutMs;
    const backoff = new Backoff(this.policy.initialBackoffMs, this.policy.maxBackoffMs);
    const failures: string[] = [];
    let last: ConnectError | undefined;
    for (;;) {
      for (const endpoint of this.pool.attemptOrder()) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        try {
          const answer = await attempt(endpoint, {
            signal: options.signal,
            timeoutMs: Math.max(1, Math.floor(Math.min(remaining, this.policy.attemptTimeoutMs))),
          });
          this.pool.succeeded(endpoint, answer.header, kind === "read");
          this.discoverIfNeeded(endpoint);
          return answer;
        } catch (thrown) {
          if (options.signal?.aborted === true) throw new ConnectError(`${method}: canceled by the caller`, Code.Canceled, undefined, undefined, thrown);
          const failure = classifyCallFailure(thrown);
          switch (failure.kind) {
            case "final":
              throw failure.error;
            case "node-failed":
              this.pool.failed(endpoint);
              if (kind === "write") throw new WriteOutcomeUnknownError(method, endpoint.address, failure.error);
              break;
            case "not-sent":
              this.pool.failed(endpoint);
              break;
            default: {
              const unreachable: never = failure;
              throw new Error(`unknown failure ${String(unreachable)}`);
            }
          }
          // Our own deadline cutting the last attempt short says less than what failed before it.
          if (last === undefined || failure.error.code !== Code.DeadlineExceeded) last = failure.error;
          failures.push(`${endpoint.address}: ${failure.error.rawMessage}`);
        }
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        const tried = failures.slice(-this.pool.size).join("; ");
        throw new ConnectError(
          `${method}: no endpoint could serve the call within ${timeoutMs} ms (${failures.length} attempts; last: ${tried})`,
          last?.code ?? Code.DeadlineExceeded,
          undefined,
          undefined,
          last,
        );
      }
      await sleep(Math.min(remaining, backoff.nextDelayMs()), options.signal);
    }
  }

  /** Looks up the members' client addresses once a leader is named that no endpoint is known to be. */
  private discoverIfNeeded(endpoint: Endpoint): void {
    if (!this.discoverMembers || this.discovering || !this.pool.leaderAddressUnknown()) return;
    if (performance.now() < this.nextDiscoveryAt) return;
    // Members record their client addresses shortly after start: a lookup may come too early, so allow another later.
    this.nextDiscoveryAt = performance.now() + DISCOVERY_INTERVAL_MS;
    this.discovering = true;
    void this.refreshMembers(endpoint).finally(() => {
      this.discovering = false;
    });
  }

  /** Asks endpoint for the configuration; false when it could not answer (e.g. no Cluster service). */
  async refreshMembers(endpoint: Endpoint): Promise<boolean> {
    try {
      const configuration = await endpoint.cluster.getConfiguration({}, { timeoutMs: this.policy.attemptTimeoutMs });
      this.pool.learnMembers(configuration.members);
      return true;
    } catch {
      return false;
    }
  }
}
