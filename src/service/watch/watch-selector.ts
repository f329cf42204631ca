import { compareKeys, prefixEnd } from "../../fsm/key-range.ts";
import type { WatchRequest } from "../../gen/raftkv/v1/kv_pb.ts";
import type { Limits } from "../limits.ts";
import { invalidArgument, validateKey, validateOptionalKey } from "../validation.ts";
import type { HistoryRange } from "./watch-source.ts";

/** Which keys a watch follows. A range's `end` undefined means unbounded above. */
export type WatchSelector =
  | { readonly kind: "key"; readonly key: Uint8Array }
  | { readonly kind: "prefix"; readonly prefix: Uint8Array }
  | { readonly kind: "range"; readonly start: Uint8Array; readonly end: Uint8Array | undefined };

/**
 * The selector a WatchRequest asks for. range_end follows etcd: a single 0x00
 * byte means "every key from key on"; otherwise [key, range_end).
 */
export function watchSelectorOf(request: Pick<WatchRequest, "key" | "rangeEnd" | "prefix">, limits: Limits): WatchSelector {
  if (request.prefix) {
    validateOptionalKey("key", request.key, limits);
    return { kind: "prefix", prefix: request.key };
  }
  if (request.rangeEnd.length > 0) {
    validateOptionalKey("key", request.key, limits);
    validateOptionalKey("range_end", request.rangeEnd, limits);
    const unbounded = request.rangeEnd.length === 1 && request.rangeEnd[0] === 0;
    if (!unbounded && compareKeys(request.key, request.rangeEnd) >= 0) {
      throw invalidArgument("range_end", "must sort after key (or be a single 0x00 byte for every key from key on)");
    }
    return { kind: "range", start: request.key, end: unbounded ? undefined : request.rangeEnd };
  }
  validateKey("key", request.key, limits);
  return { kind: "key", key: request.key };
}

/** The selector as the state machine's history query expects it. */
export function historyRangeOf(selector: WatchSelector): HistoryRange {
  switch (selector.kind) {
    case "key":
      return { start: selector.key, end: new Uint8Array(0) };
    case "prefix":
      return { start: selector.prefix, end: prefixEnd(selector.prefix) };
    case "range":
      return { start: selector.start, end: selector.end };
    default: {
      const unreachable: never = selector;
      throw new Error(`unknown watch selector ${JSON.stringify(unreachable)}`);
    }
  }
}
