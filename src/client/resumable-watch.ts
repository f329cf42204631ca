import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type KeyValue, type WatchRequest, WatchRequestSchema, type WatchResponse } from "../gen/raftkv/v1/kv_pb.ts";
import { Backoff, sleep } from "./backoff.ts";
import { classifyCallFailure } from "./call-failure.ts";
import type { Endpoint, EndpointPool } from "./endpoint-pool.ts";
import type { RetryPolicy } from "./retry-policy.ts";
import type { WatchOptions, WatchUpdate } from "./watch-update.ts";

/** Reads the watched keys afresh (for resync): the kvs and the index the read reflects. */
export type WatchReread = (request: WatchRequest, signal: AbortSignal) => Promise<{ kvs: KeyValue[]; index: bigint }>;

/** The server's progress interval when the request leaves it 0. */
const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

type StreamEnd =
  | { readonly kind: "broken"; readonly endpoint: Endpoint; readonly error: ConnectError }
  | { readonly kind: "lost-history"; readonly reason: "compacted" | "abandoned" }
  | { readonly kind: "done" };

/**
 * A watch that survives disconnects: after a broken stream it opens a new one
 * on the next endpoint and drops what it already delivered, so the caller
 * sees every change once, in order.
 *
 * The server may split one index's events (a large delete-range or Txn) over
 * several messages, so a stream that breaks right after index N may not have
 * delivered all of N. The watch therefore resumes from N itself and skips
 * the events of N it already delivered (the server replays an index's events
 * in the same order). A progress mark for N proves N complete: resume at N + 1.
 *
 * Progress never goes back: a node the watch fails over to may lag behind
 * what the caller already saw and report its own, lower applied index. Such a
 * mark is true but would take the caller back in time, so it is dropped.
 */
export class ResumableWatch implements AsyncIterable<WatchUpdate> {
  /** Where a new stream starts: the last index with delivered events, or the first not seen; 0 while a from-now watch has not started. */
  private resumeIndex: bigint;
  /** Events at resumeIndex already delivered (a new stream replays them and the watch skips them). */
  private deliveredAtResume = 0;
  /** Of those, how many the current stream still has to skip. */
  private skipAtResume = 0;
  /** The highest index the caller was handed (events, progress, resync) or, before any, the one before the start. */
  private reportedThrough: bigint;

  constructor(
    private readonly pool: EndpointPool,
    private readonly policy: RetryPolicy,
    private readonly request: WatchRequest,
    private readonly reread: WatchReread,
    private readonly options: WatchOptions,
  ) {
    this.resumeIndex = request.startIndex;
    this.reportedThrough = request.startIndex > 0n ? request.startIndex - 1n : 0n;
  }

  static requestOf(init: MessageInitShape<typeof WatchRequestSchema>): WatchRequest {
    return create(WatchRequestSchema, init);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchUpdate> {
    const local = new AbortController();
    const outer = this.options.signal;
    const abort = (): void => local.abort();
    outer?.addEventListener("abort", abort, { once: true });
    const backoff = new Backoff(this.policy.initialBackoffMs, this.policy.maxBackoffMs);
    let failingSince: number | undefined;
    try {
      for (;;) {
        if (local.signal.aborted) return;
        const endpoint = this.pool.attemptOrder()[0];
        if (endpoint === undefined) throw new ConnectError("watch: no endpoints", Code.FailedPrecondition);
        const ended: { value: StreamEnd } = { value: { kind: "done" } };
        for await (const update of this.streamFrom(endpoint, local.signal, (end) => (ended.value = end))) {
          failingSince = undefined;
          backoff.reset();
          yield update;
        }
        if (local.signal.aborted) return;
        const finished = ended.value;
        switch (finished.kind) {
          case "done":
            return;
          case "lost-history": {
            const { kvs, index } = await this.reread(this.request, local.signal);
            this.completeThrough(index);
            this.reportedThrough = index;
            yield { kind: "resynced", reason: finished.reason, kvs, index };
            continue;
          }
          case "broken": {
            this.pool.failed(finished.endpoint);
            failingSince ??= performance.now();
            const limit = this.options.reconnectTimeoutMs;
            if (limit !== undefined && performance.now() - failingSince > limit) {
              throw new ConnectError(
                `watch: no endpoint could serve the watch for ${limit} ms: ${finished.error.rawMessage}`,
                finished.error.code,
                undefined,
                undefined,
                finished.error,
              );
            }
            yield { kind: "reconnecting", endpoint: finished.endpoint.address, error: finished.error, resumeIndex: this.resumeIndex };
            await sleep(backoff.nextDelayMs(), local.signal);
            continue;
          }
          default: {
            const unreachable: never = finished;
            throw new Error(`unknown stream end ${String(unreachable)}`);
          }
        }
      }
    } finally {
      outer?.removeEventListener("abort", abort);
      local.abort();
    }
  }

  /** One server stream; reports through setEnd how it ended. Throws final errors (bad request, ...). */
  private async *streamFrom(endpoint: Endpoint, signal: AbortSignal, setEnd: (end: StreamEnd) => void): AsyncGenerator<WatchUpdate> {
    const request = create(WatchRequestSchema, { ...this.request, startIndex: this.resumeIndex });
    this.skipAtResume = this.deliveredAtResume;
    const stream = new AbortController();
    const abortStream = (): void => stream.abort();
    signal.addEventListener("abort", abortStream, { once: true });
    const idleMs = this.options.idleTimeoutMs ?? 3 * (request.progressIntervalMs > 0 ? request.progressIntervalMs : DEFAULT_PROGRESS_INTERVAL_MS);
    let silent = false;
    let idleTimer = setTimeout(onIdle, idleMs);
    function onIdle(): void {
      silent = true;
      stream.abort();
    }
    try {
      for await (const response of endpoint.kv.watch(request, { signal: stream.signal })) {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(onIdle, idleMs);
        const update = this.absorb(endpoint, response);
        if (update === undefined) continue;
        if (update.kind === "compacted" || update.kind === "abandoned") {
          setEnd(this.options.resync === true ? { kind: "lost-history", reason: update.kind } : { kind: "done" });
          yield update;
          return;
        }
        yield update;
      }
      // The server closed the stream without a final word (shutting down): resume elsewhere.
      setEnd({ kind: "broken", endpoint, error: new ConnectError("the watch stream ended", Code.Unavailable) });
    } catch (thrown) {
      if (signal.aborted) return;
      if (silent) {
        setEnd({ kind: "broken", endpoint, error: new ConnectError(`the watch stream was silent for ${idleMs} ms`, Code.Unavailable) });
        return;
      }
      const failure = classifyCallFailure(thrown);
      if (failure.kind === "final") throw failure.error;
      setEnd({ kind: "broken", endpoint, error: failure.error });
    } finally {
      clearTimeout(idleTimer);
      signal.removeEventListener("abort", abortStream);
    }
  }

  /** Updates the resume point from one response and turns it into what the caller sees (if anything). */
  private absorb(endpoint: Endpoint, response: WatchResponse): WatchUpdate | undefined {
    const kind = response.kind;
    switch (kind.case) {
      case "created": {
        if (this.resumeIndex === 0n) {
          const headerIndex = response.header?.index ?? 0n;
          this.resumeIndex = kind.value.startIndex > 0n ? kind.value.startIndex : headerIndex + 1n;
          this.reportedThrough = this.resumeIndex - 1n;
        }
        return { kind: "connected", endpoint: endpoint.address, watchId: kind.value.watchId, startIndex: kind.value.startIndex };
      }
      case "events": {
        const fresh = kind.value.events.filter((event) => this.isNew(event.kv?.modIndex ?? 0n));
        const last = fresh.at(-1);
        if (last === undefined) return undefined;
        const index = last.kv?.modIndex ?? 0n;
        if (index > this.reportedThrough) this.reportedThrough = index;
        return { kind: "events", events: fresh, index };
      }
      case "progress": {
        const index = kind.value.index;
        if (index < this.reportedThrough) return undefined;
        this.reportedThrough = index;
        if (index >= this.resumeIndex) this.completeThrough(index);
        return { kind: "progress", index };
      }
      case "compacted":
        return { kind: "compacted", compactIndex: kind.value.compactIndex };
      case "abandoned":
        return { kind: "abandoned", restoredIndex: kind.value.restoredIndex };
      case "canceled":
        // Slow consumer or shutdown: the server ended it, but the caller still wants the changes.
        throw new ConnectError(`the server canceled the watch: ${kind.value.reason}`, Code.Unavailable);
      case undefined:
        return undefined;
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown watch response ${String(unreachable)}`);
      }
    }
  }

  /** Decides whether an event at index is news, moving the resume point along what it delivers. */
  private isNew(index: bigint): boolean {
    if (index < this.resumeIndex) return false;
    if (index === this.resumeIndex) {
      if (this.skipAtResume > 0) {
        this.skipAtResume--;
        return false;
      }
      this.deliveredAtResume++;
      return true;
    }
    this.resumeIndex = index;
    this.deliveredAtResume = 1;
    this.skipAtResume = 0;
    return true;
  }

  /** Every change up to index is known: the next stream starts after it with nothing to skip. */
  private completeThrough(index: bigint): void {
    this.resumeIndex = index + 1n;
    this.deliveredAtResume = 0;
    this.skipAtResume = 0;
  }
}
