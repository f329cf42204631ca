import type { ChangeEvent } from "../../fsm/kv-types.ts";

/** What a watch subscription queues for its stream, in the order the stream must send it. */
export type WatchItem =
  /** The matching events of one applied batch; `index` is the batch's applied index. */
  | { readonly kind: "events"; readonly index: number; readonly events: readonly ChangeEvent[] }
  /** Every matching change up to `index` is ahead of this item in the queue. */
  | { readonly kind: "progress"; readonly index: number }
  /** Terminal: a snapshot restore replaced the state. */
  | { readonly kind: "abandoned"; readonly restoredIndex: number }
  /** Terminal: the server ended the watch. */
  | { readonly kind: "canceled"; readonly reason: string };

/** Bytes an event pins in memory while it waits in a queue (keys and values; metadata is small and fixed). */
export function eventBytes(event: ChangeEvent): number {
  const prev = event.prev === undefined ? 0 : event.prev.key.length + event.prev.value.length;
  return event.kv.key.length + event.kv.value.length + prev;
}
