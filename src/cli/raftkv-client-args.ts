import type { ArgsDef } from "citty";
import { RaftkvClient } from "../client/raftkv-client.ts";
import { nodeTransportFactory, parseClientProtocol } from "../client/transport-for.ts";
import { credentialsFrom, endpointsFrom } from "./client-args.ts";
import { parseDurationMs } from "./duration.ts";
import { envName, flagValue } from "./flag-value.ts";

/** etcdctl's --command-timeout default: long enough for a leader election, short enough for a person waiting. */
const DEFAULT_COMMAND_TIMEOUT = "5s";

/** The deadline flag of commands that use RaftkvClient (next to clientArgs). */
export const commandTimeoutArgs = {
  timeout: {
    type: "string",
    description: `Give up after this long, retries and failover included (default ${DEFAULT_COMMAND_TIMEOUT}); env ${envName("timeout")}`,
  },
} as const satisfies ArgsDef;

/** The full client for the flags of clientArgs and commandTimeoutArgs (RAFTKV_* variables too). */
export function raftkvClientFrom(args: {
  endpoints?: string;
  protocol?: string;
  timeout?: string;
  token?: string;
  cacert?: string;
  cert?: string;
  "cert-key"?: string;
}): RaftkvClient {
  const endpoints = endpointsFrom(args);
  const { token, tls } = credentialsFrom(args);
  const protocol = parseClientProtocol(flagValue(args.protocol, "protocol", "grpc"));
  const timeoutMs = parseDurationMs("timeout", flagValue(args.timeout, "timeout", DEFAULT_COMMAND_TIMEOUT));
  return new RaftkvClient({ endpoints, transport: nodeTransportFactory(protocol, tls), token, retry: { timeoutMs, attemptTimeoutMs: timeoutMs } });
}
