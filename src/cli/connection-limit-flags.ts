import { type ClientConnectionLimits, defaultClientConnectionLimits } from "../server/client-connection-limits.ts";
import { DEFAULT_MAX_INBOUND_CONNECTIONS } from "../transport/peer-transport.ts";
import { parseDurationMs } from "./duration.ts";
import { envName, flagValue, positiveInteger } from "./flag-value.ts";

/** `serve` flags bounding connections and streams on both ports (README: Flags, Connections and slow clients). */
const flags = {
  "max-client-connections": {
    kind: "count",
    text: "Connections the client port holds open at once; one past it is closed at accept",
    fallback: String(defaultClientConnectionLimits.maxConnections),
  },
  "max-concurrent-streams": {
    kind: "count",
    text: "HTTP/2 streams (calls) one client connection may have open, advertised in SETTINGS; clients queue the rest",
    fallback: String(defaultClientConnectionLimits.maxConcurrentStreams),
  },
  "client-idle-timeout": {
    kind: "duration",
    text: "A client connection with no call in flight is closed after this long (HTTP/2 GOAWAY; HTTP/1.1 keep-alive, advertised)",
    fallback: "5m",
  },
  "client-header-timeout": {
    kind: "duration",
    text: "A new client connection's TLS handshake or first bytes, and each HTTP/1.1 request's headers, must arrive within this",
    fallback: "10s",
  },
  "client-body-timeout": {
    kind: "duration",
    text: "A request body must be complete this long after its headers, or its connection (HTTP/1.1) or stream (HTTP/2) is cut",
    fallback: "30s",
  },
  "max-peer-connections": {
    kind: "count",
    text: "Inbound connections the Raft port holds open at once (each member keeps one)",
    fallback: String(DEFAULT_MAX_INBOUND_CONNECTIONS),
  },
} as const satisfies Record<string, { readonly kind: "count" | "duration"; readonly text: string; readonly fallback: string }>;

type ConnectionLimitFlag = keyof typeof flags;

function argOf(flag: ConnectionLimitFlag): { readonly type: "string"; readonly description: string } {
  const { text, fallback } = flags[flag];
  return { type: "string", description: `${text} (default ${fallback}); env ${envName(flag)}` };
}

/** citty argument definitions, spread into serve's. */
export const connectionLimitArgs = {
  "max-client-connections": argOf("max-client-connections"),
  "max-concurrent-streams": argOf("max-concurrent-streams"),
  "client-idle-timeout": argOf("client-idle-timeout"),
  "client-header-timeout": argOf("client-header-timeout"),
  "client-body-timeout": argOf("client-body-timeout"),
  "max-peer-connections": argOf("max-peer-connections"),
};

export interface ConnectionLimitConfig {
  readonly client: ClientConnectionLimits;
  readonly maxPeerConnections: number;
}

/** The bounds these flags set (flag, then RAFTKV_* variable, then default); a bad value throws naming the flag. */
export function connectionLimitsOf(args: Readonly<Partial<Record<ConnectionLimitFlag, string>>>): ConnectionLimitConfig {
  const read = (flag: ConnectionLimitFlag): number => {
    const { kind, fallback } = flags[flag];
    const text = flagValue(args[flag], flag, fallback);
    switch (kind) {
      case "count":
        return positiveInteger(flag, text);
      case "duration":
        return parseDurationMs(flag, text);
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown flag kind ${String(unreachable)}`);
      }
    }
  };
  const maxConcurrentStreams = read("max-concurrent-streams");
  if (maxConcurrentStreams > 0xffff_ffff)
    throw new Error(`--max-concurrent-streams: at most 4294967295 (a 32-bit SETTINGS field), got ${maxConcurrentStreams}`);
  return {
    client: {
      maxConnections: read("max-client-connections"),
      maxConcurrentStreams,
      idleTimeoutMs: read("client-idle-timeout"),
      headerTimeoutMs: read("client-header-timeout"),
      bodyTimeoutMs: read("client-body-timeout"),
    },
    maxPeerConnections: read("max-peer-connections"),
  };
}
