import type { ChangeEvent, ChangeNotice, HistoryPage, StoredKv } from "../fsm/kv-types.ts";
import { WatchIndex } from "./watch-index.ts";
import { historyRangeOf, type WatchSelector } from "./watch-selector.ts";
import type { ChangeSource } from "./watch-source.ts";
import { WatchSubscription, type WatchQueueLimits } from "./watch-subscription.ts";

export const defaultWatchQueueLimits: WatchQueueLimits = {
  maxPendingEvents: 10_000,
  maxPendingBytes: 64 * 1024 * 1024,
};

/**
 * Every watch on one node behind ONE subscription to the state machine's
 * change feed. Per applied batch it looks up, per event, only the watchers
 * that match (WatchIndex), and hands each of them its events of the batch
 * as one queue item; with no watchers a batch costs one size check.
 */
export class WatchHub {
  readonly #index = new WatchIndex<WatchSubscription>();
  readonly #byId = new Map<string, WatchSubscription>();
  readonly #unsubscribe: () => void;
  readonly #limits: WatchQueueLimits;
  #nextId = 1;
  #closedReason: string | undefined;

  constructor(
    private readonly source: ChangeSource,
    limits: Partial<WatchQueueLimits> = {},
  ) {
    this.#limits = { ...defaultWatchQueueLimits, ...limits };
    this.#unsubscribe = source.onChange((notice) => this.#onNotice(notice));
  }

  /** Open watches on this node. */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * Registers a watcher. Synchronous on purpose: its `liveFrom` is the applied
   * index at this instant, and every change after it reaches the queue, so a
   * replay of history up to `liveFrom` joins the live feed without a gap or a
   * duplicate.
   */
  open(selector: WatchSelector, limits: Partial<WatchQueueLimits> = {}): WatchSubscription {
    const id = String(this.#nextId++);
    const subscription = new WatchSubscription(
      id,
      selector,
      this.source.appliedIndex(),
      { ...this.#limits, ...limits },
      () => this.source.appliedIndex(),
      (ended) => this.#forget(ended),
    );
    if (this.#closedReason !== undefined) {
      subscription.cancel(this.#closedReason);
      return subscription;
    }
    this.#byId.set(id, subscription);
    this.#index.add(subscription, selector);
    return subscription;
  }

  /** Queues a progress notification on watch `id`; false when no such watch is open here. */
  requestProgress(id: string): boolean {
    const subscription = this.#byId.get(id);
    if (subscription === undefined) return false;
    subscription.requestProgress();
    return true;
  }

  history(fromIndex: number, selector: WatchSelector, limit: number): HistoryPage {
    return this.source.historySince(fromIndex, historyRangeOf(selector), limit);
  }

  compactIndex(): number {
    return this.source.compactIndex();
  }

  appliedIndex(): number {
    return this.source.appliedIndex();
  }

  /** The previous state of an event's key: the event's own when the state machine had it at hand, else from history. */
  previousOf(event: ChangeEvent): StoredKv | undefined {
    return event.prev ?? this.source.previousRevision(event.kv.key, event.kv.modIndex);
  }

  /** Ends every watch with WatchCanceled{reason} and refuses new ones (node shutdown). */
  close(reason = "server is shutting down"): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    this.#unsubscribe();
    for (const subscription of [...this.#byId.values()]) subscription.cancel(reason);
  }

  #forget(subscription: WatchSubscription): void {
    if (this.#byId.get(subscription.id) !== subscription) return;
    this.#byId.delete(subscription.id);
    this.#index.remove(subscription, subscription.selector);
  }

  #onNotice(notice: ChangeNotice): void {
    switch (notice.kind) {
      case "applied": {
        if (this.#byId.size === 0 || notice.events.length === 0) return;
        const batches = new Map<WatchSubscription, ChangeEvent[]>();
        for (const event of notice.events) {
          this.#index.forEachMatching(event.kv.key, (subscription) => {
            const batch = batches.get(subscription);
            if (batch === undefined) batches.set(subscription, [event]);
            else batch.push(event);
          });
        }
        for (const [subscription, events] of batches) subscription.deliver(events, notice.index);
        return;
      }
      case "restored":
        for (const subscription of [...this.#byId.values()]) subscription.abandon(notice.index);
        return;
      default: {
        const unreachable: never = notice;
        throw new Error(`unknown change notice ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
