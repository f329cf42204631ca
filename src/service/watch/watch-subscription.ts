import type { ChangeEvent } from "../../fsm/kv-types.ts";
import { eventBytes, type WatchItem } from "./watch-item.ts";
import type { WatchSelector } from "./watch-selector.ts";

/** How much a subscription may hold for a consumer that does not keep up. */
export interface WatchQueueLimits {
  readonly maxPendingEvents: number;
  readonly maxPendingBytes: number;
}

/**
 * One watcher's bounded outgoing queue. The hub pushes into it synchronously
 * while it applies a change notice; the watch stream pulls from it. A
 * consumer that lets the queue grow past its limits is cut off: the queue is
 * dropped and replaced by one WatchCanceled naming the backlog, so a slow
 * client costs neither node memory nor apply time.
 */
export class WatchSubscription {
  #queue: WatchItem[] = [];
  #head = 0;
  #pendingEvents = 0;
  #pendingBytes = 0;
  /** A terminal item is queued, or the consumer left: nothing more is accepted. */
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly selector: WatchSelector,
    /** Applied index when the subscription was registered: every later change arrives through the queue. */
    readonly liveFrom: number,
    private readonly limits: WatchQueueLimits,
    private readonly currentIndex: () => number,
    private readonly onEnd: (subscription: WatchSubscription) => void,
  ) {}

  get ended(): boolean {
    return this.#ended;
  }

  get pendingEvents(): number {
    return this.#pendingEvents;
  }

  deliver(events: readonly ChangeEvent[], index: number): void {
    if (this.#ended) return;
    let bytes = 0;
    for (const event of events) bytes += eventBytes(event);
    const pendingEvents = this.#pendingEvents + events.length;
    const pendingBytes = this.#pendingBytes + bytes;
    if (pendingEvents > this.limits.maxPendingEvents) {
      this.#cutOff(`slow consumer: ${pendingEvents} events pending, limit ${this.limits.maxPendingEvents}`);
      return;
    }
    if (pendingBytes > this.limits.maxPendingBytes) {
      this.#cutOff(`slow consumer: ${pendingBytes} bytes of events pending, limit ${this.limits.maxPendingBytes}`);
      return;
    }
    this.#pendingEvents = pendingEvents;
    this.#pendingBytes = pendingBytes;
    this.#push({ kind: "events", index, events });
  }

  /** Queued behind every change already delivered, so its index is truthful when the client sees it. */
  requestProgress(): void {
    if (!this.#ended) this.#push({ kind: "progress", index: this.currentIndex() });
  }

  abandon(restoredIndex: number): void {
    this.#finish({ kind: "abandoned", restoredIndex });
  }

  cancel(reason: string): void {
    this.#finish({ kind: "canceled", reason });
  }

  /** The consumer is gone: drop everything and leave the hub. */
  close(): void {
    this.#queue = [];
    this.#head = 0;
    this.#pendingEvents = 0;
    this.#pendingBytes = 0;
    if (!this.#ended) {
      this.#ended = true;
      this.onEnd(this);
    }
    this.#wake?.();
  }

  /**
   * The next item; after `idleMs` with nothing queued, a progress item at the
   * current applied index (nothing is pending, so every change up to it was
   * handed out). undefined once the queue ended and is empty, or on abort.
   */
  async next(idleMs: number, signal: AbortSignal): Promise<WatchItem | undefined> {
    for (;;) {
      const item = this.#take();
      if (item !== undefined) return item;
      if (this.#ended || signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (this.#head === this.#queue.length && !this.#ended) this.#push({ kind: "progress", index: this.currentIndex() });
          wake();
        }, idleMs);
        const wake = (): void => {
          clearTimeout(timer);
          signal.removeEventListener("abort", wake);
          this.#wake = undefined;
          resolve();
        };
        signal.addEventListener("abort", wake);
        this.#wake = wake;
      });
    }
  }

  #take(): WatchItem | undefined {
    const item = this.#queue[this.#head];
    if (item === undefined) return undefined;
    this.#head++;
    // Compact now and then so a long-lived queue does not keep its consumed prefix.
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (item.kind === "events") {
      this.#pendingEvents -= item.events.length;
      for (const event of item.events) this.#pendingBytes -= eventBytes(event);
    }
    return item;
  }

  #cutOff(reason: string): void {
    this.#queue = [];
    this.#head = 0;
    this.#pendingEvents = 0;
    this.#pendingBytes = 0;
    this.#finish({ kind: "canceled", reason });
  }

  #finish(item: WatchItem): void {
    if (this.#ended) return;
    this.#push(item);
    this.#ended = true;
    this.onEnd(this);
  }

  #push(item: WatchItem): void {
    this.#queue.push(item);
    this.#wake?.();
  }
}
