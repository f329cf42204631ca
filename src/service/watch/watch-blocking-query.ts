import { invalidArgument } from "../validation.ts";
import type { WatchHub } from "./watch-hub.ts";

/** Consul's defaults: a blocking query waits 5 minutes unless told otherwise, 10 at most. */
export const defaultBlockingWaitMs = 5 * 60_000;
export const maxBlockingWaitMs = 10 * 60_000;

export interface BlockingQuery {
  /** Return once the key's modify index is above this (or it was deleted after it). */
  readonly afterIndex: number;
  readonly waitMs: number;
}

/** Why a blocking query stopped waiting. Like Consul, a return never promises a change. */
export type BlockingOutcome = "changed" | "timeout" | "history-unknown" | "ended" | "aborted";

const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `?index=N&wait=30s` → a blocking query; undefined without `index` (or index=0: Consul's "do not block"). */
export function blockingQueryOf(indexText: string | null, waitText: string | null): BlockingQuery | undefined {
  if (indexText === null) return undefined;
  if (!/^\d+$/.test(indexText) || !Number.isSafeInteger(Number(indexText))) {
    throw invalidArgument("index", `expected a non-negative integer (an X-Raftkv-Index from an earlier answer), got ${JSON.stringify(indexText)}`);
  }
  const afterIndex = Number(indexText);
  if (afterIndex === 0) return undefined;
  return { afterIndex, waitMs: waitText === null ? defaultBlockingWaitMs : parseWaitMs(waitText) };
}

function parseWaitMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  const unit = match?.[2];
  if (match === null || unit === undefined) throw invalidArgument("wait", `expected a duration such as 30s or 5m, got ${JSON.stringify(text)}`);
  const ms = Math.round(Number(match[1]) * (unitMs[unit] ?? 1));
  // Consul clamps rather than refuses: an over-long wait is simply the maximum.
  return Math.min(Math.max(ms, 1), maxBlockingWaitMs);
}

/**
 * Waits, on the hub (no polling), until `key` changes after `afterIndex`:
 * registers a key watcher first, then looks at the history since
 * afterIndex + 1 for a change that happened before the watcher existed.
 */
export async function waitForKeyChange(
  hub: WatchHub,
  key: Uint8Array,
  query: BlockingQuery,
  signal: AbortSignal,
  connection?: object,
): Promise<BlockingOutcome> {
  const selector = { kind: "key", key } as const;
  const subscription = hub.open(selector, {}, connection);
  try {
    if (query.afterIndex < subscription.liveFrom) {
      const page = hub.history(query.afterIndex + 1, selector, 1);
      // Compacted: whether it changed is unknown, so answer now (a return does not promise a change).
      if (page.kind === "compacted") return "history-unknown";
      if (page.events.some((event) => event.kv.modIndex <= subscription.liveFrom)) return "changed";
    }
    const deadline = performance.now() + query.waitMs;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) return "timeout";
      const item = await subscription.next(remaining, signal);
      if (item === undefined) return signal.aborted ? "aborted" : "ended";
      switch (item.kind) {
        case "events":
          if (item.events.some((event) => event.kv.modIndex > query.afterIndex)) return "changed";
          break;
        case "progress":
          // The idle timer: the loop checks the deadline.
          break;
        case "abandoned":
        case "canceled":
          return "ended";
        default: {
          const unreachable: never = item;
          throw new Error(`unknown watch item ${JSON.stringify(unreachable)}`);
        }
      }
    }
  } finally {
    subscription.close();
  }
}
