import { Code, ConnectError } from "@connectrpc/connect";
import type { ChangeEvent, ChangeNotice, HistoryPage, StoredKv } from "../../fsm/kv-types.ts";
import { WatchIndex } from "./watch-index.ts";
import { historyRangeOf, type WatchSelector } from "./watch-selector.ts";
import type { ChangeSource } from "./watch-source.ts";
import { type WatchQueueLimits, WatchSubscription } from "./watch-subscription.ts";

export const defaultWatchQueueLimits: WatchQueueLimits = {
  maxPendingEvents: 10_000,
  maxPendingBytes: 64 * 1024 * 1024,
};

/** How many watches may be open at once (see Limits.maxWatches and maxWatchesPerConnection). */
export interface WatchCountLimits {
  readonly maxWatches: number;
  readonly maxWatchesPerConnection: number;
}

export const defaultWatchCountLimits: WatchCountLimits = { maxWatches: 100_000, maxWatchesPerConnection: 10_000 };

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
  readonly #counts: WatchCountLimits;
  /** Open watches per client connection (removed at zero, so a closed connection leaves nothing behind). */
  readonly #perConnection = new Map<object, number>();
  readonly #connectionOf = new Map<WatchSubscription, object>();
  #nextId = 1;
  #closedReason: string | undefined;

  constructor(
    private readonly source: ChangeSource,
    limits: Partial<WatchQueueLimits> = {},
    counts: Partial<WatchCountLimits> = {},
  ) {
    this.#limits = { ...defaultWatchQueueLimits, ...limits };
    this.#counts = { ...defaultWatchCountLimits, ...counts };
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
   *
   * `connection` is the client connection the watch came on (undefined:
   * unknown). Past the node's or the connection's limit of open watches it
   * throws RESOURCE_EXHAUSTED naming the limit.
   */
  open(selector: WatchSelector, limits: Partial<WatchQueueLimits> = {}, connection?: object): WatchSubscription {
    if (this.#closedReason === undefined) this.#admit(connection);
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
    if (connection !== undefined) {
      this.#connectionOf.set(subscription, connection);
      this.#perConnection.set(connection, (this.#perConnection.get(connection) ?? 0) + 1);
    }
    return subscription;
  }

  #admit(connection: object | undefined): void {
    const { maxWatches, maxWatchesPerConnection } = this.#counts;
    if (this.#byId.size >= maxWatches) {
      throw new ConnectError(
        `watch: this node holds ${this.#byId.size} open watches, its limit (--max-watches ${maxWatches}); close watches or use another member`,
        Code.ResourceExhausted,
      );
    }
    const onConnection = connection === undefined ? 0 : (this.#perConnection.get(connection) ?? 0);
    if (onConnection >= maxWatchesPerConnection) {
      throw new ConnectError(
        `watch: this connection holds ${onConnection} open watches, the limit per connection (--max-watches-per-connection ${maxWatchesPerConnection}); ` +
          "watch a prefix or a range instead of many keys, or open another connection",
        Code.ResourceExhausted,
      );
    }
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
    const connection = this.#connectionOf.get(subscription);
    if (connection === undefined) return;
    this.#connectionOf.delete(subscription);
    const left = (this.#perConnection.get(connection) ?? 1) - 1;
    if (left > 0) this.#perConnection.set(connection, left);
    else this.#perConnection.delete(connection);
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
