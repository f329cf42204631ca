import { defaultLimits, type Limits } from "../service/limits.ts";
import { envName, flagValue, positiveInteger } from "./flag-value.ts";

/** `serve` flags bounding what one request or one client may cost the node (README: Flags). */
const flags = {
  "max-response-bytes": {
    limit: "maxResponseBytes",
    text: "Bytes of keys and values one Range page, or all reads of one Txn, may answer; a page past it ends early (more, next_key)",
  },
  "max-txn-read-keys": {
    limit: "maxTxnReadKeys",
    text: "Keys the reads of one Txn branch may return (range limits plus gets); more is RESOURCE_EXHAUSTED before anything runs",
  },
  "max-leases": { limit: "maxLeases", text: "Leases the cluster may hold; a grant past it is RESOURCE_EXHAUSTED" },
  "max-watches": { limit: "maxWatches", text: "Watch streams and REST blocking queries this node may hold open" },
  "max-watches-per-connection": {
    limit: "maxWatchesPerConnection",
    text: "Watch streams and REST blocking queries one client connection may hold open",
  },
} as const satisfies Record<string, { readonly limit: keyof Limits; readonly text: string }>;

type ResourceLimitFlag = keyof typeof flags;

function argOf(flag: ResourceLimitFlag): { readonly type: "string"; readonly description: string } {
  const { limit, text } = flags[flag];
  return { type: "string", description: `${text} (default ${defaultLimits[limit]}); env ${envName(flag)}` };
}

/** citty argument definitions, spread into serve's. */
export const resourceLimitArgs = {
  "max-response-bytes": argOf("max-response-bytes"),
  "max-txn-read-keys": argOf("max-txn-read-keys"),
  "max-leases": argOf("max-leases"),
  "max-watches": argOf("max-watches"),
  "max-watches-per-connection": argOf("max-watches-per-connection"),
};

/** The limits these flags set (flag, then RAFTKV_* variable, then default); a bad value throws naming the flag. */
export function resourceLimitsOf(args: Readonly<Partial<Record<ResourceLimitFlag, string>>>): Pick<Limits, (typeof flags)[ResourceLimitFlag]["limit"]> {
  const read = (flag: ResourceLimitFlag): number => positiveInteger(flag, flagValue(args[flag], flag, String(defaultLimits[flags[flag].limit])));
  return {
    maxResponseBytes: read("max-response-bytes"),
    maxTxnReadKeys: read("max-txn-read-keys"),
    maxLeases: read("max-leases"),
    maxWatches: read("max-watches"),
    maxWatchesPerConnection: read("max-watches-per-connection"),
  };
}
