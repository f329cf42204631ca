import type { ArgsDef } from "citty";
import { KvClient } from "../client/kv-client.ts";
import { parseClientProtocol } from "../client/transport-for.ts";
import { envName, flagValue } from "./flag-value.ts";

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
  json: { type: "boolean", description: "Print the full response as JSON" },
} as const satisfies ArgsDef;

export function clientFrom(args: { endpoints?: string; protocol?: string }): KvClient {
  const endpoints = flagValue(args.endpoints, "endpoints", "127.0.0.1:40051")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  return new KvClient(endpoints, parseClientProtocol(flagValue(args.protocol, "protocol", "grpc")));
}
