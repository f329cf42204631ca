import type { ArgsDef } from "citty";
import { envName, flagValue } from "./flag-value.ts";
import { writeOutArgs } from "./output-format.ts";

/** Flags every client command shares. */
export const clientArgs = {
  endpoints: {
    type: "string",
    description: `Comma-separated client addresses (default 127.0.0.1:40051); env ${envName("endpoints")}`,
  },
  protocol: {
    type: "string",
    description: `grpc, grpc-web, connect or connect-json (default grpc); env ${envName("protocol")}`,
  },
  hex: { type: "boolean", description: "Keys and values are given and printed as hex" },
  ...writeOutArgs,
} as const satisfies ArgsDef;

/** The --endpoints flag (or RAFTKV_ENDPOINTS) as a list of client addresses. */
export function endpointsFrom(args: { endpoints?: string }): string[] {
  return flagValue(args.endpoints, "endpoints", "127.0.0.1:40051")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
}
