// The watch side's public surface: the node's change hub and history window, the handlers KV.Watch runs, and REST's blocking query.
export { WatchHub } from "./watch-hub.ts";
export type { WatchQueueLimits } from "./watch-subscription.ts";
export { createWatchHandlers, type WatchHandlers } from "./watch-handler.ts";
export { blockingQueryOf, waitForKeyChange, type BlockingOutcome, type BlockingQuery } from "./watch-blocking-query.ts";
export { defaultHistoryRetentionEntries, HistoryCompactor } from "./history-compactor.ts";
