// The watch side's public surface: the node's change hub and history window, the handlers KV.Watch runs, and REST's blocking query.

export { defaultHistoryRetentionEntries, HistoryCompactor } from "./history-compactor.ts";
export { type BlockingOutcome, type BlockingQuery, blockingQueryOf, waitForKeyChange } from "./watch-blocking-query.ts";
export { createWatchHandlers, type WatchHandlers } from "./watch-handler.ts";
export { WatchHub } from "./watch-hub.ts";
export type { WatchQueueLimits } from "./watch-subscription.ts";
