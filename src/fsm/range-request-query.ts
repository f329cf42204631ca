import type { RangeRequest } from "../gen/raftkv/v1/kv_pb.ts";
import { compareKeys, prefixEnd } from "./key-range.ts";
import type { RangeQuery } from "./kv-types.ts";

/**
 * The page size of a Range inside a txn that gives no limit. A constant of
 * the replicated state machine (every replica must answer alike); equal to
 * the service's default page size.
 */
export const txnDefaultRangeLimit = 1000;

/**
 * The RangeQuery a RangeRequest (as it appears inside a txn) selects, or
 * undefined when nothing can match. The request's conventions differ from
 * RangeQuery's: the prefix's interval is narrowed by start/end, an empty end
 * means "no bound", and a single 0x00 end is an upper bound like any other.
 */
export function rangeRequestQuery(request: RangeRequest): RangeQuery | undefined {
  let start = request.prefix;
  let end: Uint8Array | undefined = request.prefix.length > 0 ? prefixEnd(request.prefix) : undefined;
  if (request.start.length > 0 && compareKeys(request.start, start) > 0) start = request.start;
  if (request.end.length > 0 && (end === undefined || compareKeys(request.end, end) < 0)) end = request.end;
  if (end !== undefined && compareKeys(start, end) >= 0) return undefined;
  // Only the empty key (never stored) is below [0x00]; RangeQuery would read that end as "unbounded".
  if (end !== undefined && end.length === 1 && end[0] === 0) return undefined;
  return {
    start,
    ...(end === undefined ? {} : { end }),
    limit: request.limit === 0 ? txnDefaultRangeLimit : request.limit,
    keysOnly: request.keysOnly,
    countOnly: request.countOnly,
  };
}
