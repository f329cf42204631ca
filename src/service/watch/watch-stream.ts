import type { ChangeEvent, StoredKv } from "../../fsm/kv-types.ts";
import type { WatchRequest, WatchResponse } from "../../gen/raftkv/v1/kv_pb.ts";
import type { Limits } from "../limits.ts";
import { invalidArgument } from "../validation.ts";
import type { WatchHub } from "./watch-hub.ts";
import type { WatchResponses } from "./watch-response.ts";
import { watchSelectorOf } from "./watch-selector.ts";
import type { WatchSubscription } from "./watch-subscription.ts";

export interface WatchStreamOptions {
  readonly hub: WatchHub;
  readonly responses: WatchResponses;
  readonly limits: Limits;
  /** Idle time before a progress notification when the request gives none. */
  readonly defaultProgressIntervalMs: number;
  /** History events read per replay step. */
  readonly replayPageSize: number;
}

export const defaultProgressIntervalMs = 10_000;
/** A floor on progress_interval_ms so one watch cannot make the node spin. */
export const minProgressIntervalMs = 100;

type ReplayOutcome = "complete" | "compacted" | "interrupted";

/**
 * One Watch call: WatchCreated, then history from start_index (if any), then
 * live changes, until the client leaves or a terminal message
 * (compacted, abandoned, canceled) ends it.
 *
 * No gap, no duplicate: the subscription is registered before history is
 * read, in one synchronous step with reading the applied index (`liveFrom`).
 * History is replayed up to liveFrom only; everything after it was queued
 * live meanwhile and is sent after the replay.
 */
export async function* watchStream(
  request: WatchRequest,
  signal: AbortSignal,
  options: WatchStreamOptions,
  /** The client connection it came on, for the per-connection limit (see WatchHub.open). */
  connection?: object,
): AsyncGenerator<WatchResponse> {
  const selector = watchSelectorOf(request, options.limits);
  const startIndex = safeIndex("start_index", request.startIndex);
  const idleMs = request.progressIntervalMs === 0 ? options.defaultProgressIntervalMs : Math.max(minProgressIntervalMs, request.progressIntervalMs);
  const { hub, responses } = options;
  const previous = request.prevKv ? (event: ChangeEvent): StoredKv | undefined => hub.previousOf(event) : undefined;
  const subscription = hub.open(selector, {}, connection);
  try {
    const first = startIndex === 0 ? subscription.liveFrom + 1 : startIndex;
    yield responses.created(subscription.id, first, subscription.liveFrom);
    const outcome = yield* replay(subscription, first, previous, options);
    switch (outcome) {
      case "compacted":
        return;
      case "interrupted":
        // History may be gone or replaced: live events now would leave a gap. Only the terminal item is sent.
        yield* terminalOnly(subscription, signal, options);
        return;
      case "complete":
        yield* live(subscription, first, idleMs, previous, signal, options);
        return;
      default: {
        const unreachable: never = outcome;
        throw new Error(`unknown replay outcome ${String(unreachable)}`);
      }
    }
  } finally {
    subscription.close();
  }
}

async function* replay(
  subscription: WatchSubscription,
  first: number,
  previous: ((event: ChangeEvent) => StoredKv | undefined) | undefined,
  { hub, responses, replayPageSize }: WatchStreamOptions,
): AsyncGenerator<WatchResponse, ReplayOutcome> {
  const liveFrom = subscription.liveFrom;
  let from = first;
  while (from <= liveFrom) {
    // A restore or a cut-off ended the subscription between two pages.
    if (subscription.ended) return "interrupted";
    const page = hub.history(from, subscription.selector, replayPageSize);
    switch (page.kind) {
      case "compacted":
        yield responses.compacted(page.compactIndex, hub.appliedIndex());
        return "compacted";
      case "events": {
        const events = page.events.filter((event) => event.kv.modIndex >= from && event.kv.modIndex <= liveFrom);
        const last = events.at(-1);
        if (last !== undefined) yield* responses.events(last.kv.modIndex, events, previous);
        const pageLast = page.events.at(-1);
        if (!page.more || pageLast === undefined || pageLast.kv.modIndex >= liveFrom) return "complete";
        from = pageLast.kv.modIndex + 1;
        break;
      }
      default: {
        const unreachable: never = page;
        throw new Error(`unknown history page ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return "complete";
}

async function* live(
  subscription: WatchSubscription,
  first: number,
  idleMs: number,
  previous: ((event: ChangeEvent) => StoredKv | undefined) | undefined,
  signal: AbortSignal,
  { hub, responses }: WatchStreamOptions,
): AsyncGenerator<WatchResponse> {
  for (;;) {
    const item = await subscription.next(idleMs, signal);
    if (item === undefined) return;
    switch (item.kind) {
      case "events": {
        // Events come in index order; only a watch that starts in the future drops any.
        const head = item.events[0];
        const events = head !== undefined && head.kv.modIndex >= first ? item.events : item.events.filter((e) => e.kv.modIndex >= first);
        if (events.length > 0) yield* responses.events(item.index, events, previous);
        break;
      }
      case "progress":
        yield responses.progress(item.index);
        break;
      case "abandoned":
        yield responses.abandoned(item.restoredIndex);
        return;
      case "canceled":
        yield responses.canceled(item.reason, hub.appliedIndex());
        return;
      default: {
        const unreachable: never = item;
        throw new Error(`unknown watch item ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

async function* terminalOnly(subscription: WatchSubscription, signal: AbortSignal, { hub, responses }: WatchStreamOptions): AsyncGenerator<WatchResponse> {
  for (;;) {
    // Events and progress queued before the end are dropped: they would follow a gap.
    const item = await subscription.next(60_000, signal);
    if (item === undefined) return;
    if (item.kind === "abandoned") {
      yield responses.abandoned(item.restoredIndex);
      return;
    }
    if (item.kind === "canceled") {
      yield responses.canceled(item.reason, hub.appliedIndex());
      return;
    }
  }
}

function safeIndex(field: string, value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(field, `is ${value}, over the largest index ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}
