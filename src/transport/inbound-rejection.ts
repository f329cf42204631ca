/** Why the transport closed an inbound connection. */
export type InboundRejection =
  | { readonly kind: "oversized-frame"; readonly length: number; readonly limit: number }
  | { readonly kind: "malformed-frame"; readonly detail: string }
  | { readonly kind: "missing-hello" }
  | { readonly kind: "unsupported-version"; readonly version: number }
  | { readonly kind: "foreign-cluster"; readonly clusterId: string }
  | { readonly kind: "wrong-recipient"; readonly recipientId: string }
  | { readonly kind: "unknown-sender"; readonly senderId: string }
  | { readonly kind: "sender-changed"; readonly senderId: string }
  | { readonly kind: "handshake-timeout"; readonly waitedMs: number }
  | { readonly kind: "stalled-frame"; readonly waitedMs: number }
  | { readonly kind: "certificate-mismatch"; readonly senderId: string; readonly names: readonly string[]; readonly expected: string }
  | { readonly kind: "buffer-budget"; readonly limit: number }
  | { readonly kind: "connection-limit"; readonly limit: number };

export type InboundRejectionKind = InboundRejection["kind"];

/** A zero count for every kind; the Record type makes adding a kind without a counter a compile error. */
export function zeroRejectionCounts(): Record<InboundRejectionKind, number> {
  return {
    "oversized-frame": 0,
    "malformed-frame": 0,
    "missing-hello": 0,
    "unsupported-version": 0,
    "foreign-cluster": 0,
    "wrong-recipient": 0,
    "unknown-sender": 0,
    "sender-changed": 0,
    "handshake-timeout": 0,
    "stalled-frame": 0,
    "certificate-mismatch": 0,
    "buffer-budget": 0,
    "connection-limit": 0,
  };
}

export function describeInboundRejection(rejection: InboundRejection): string {
  switch (rejection.kind) {
    case "oversized-frame":
      return `frame length ${rejection.length} exceeds the limit of ${rejection.limit} bytes`;
    case "malformed-frame":
      return `malformed frame: ${rejection.detail}`;
    case "missing-hello":
      return "the first frame of the connection is not a hello";
    case "unsupported-version":
      return `unsupported peer protocol version ${rejection.version}`;
    case "foreign-cluster":
      return `frame from foreign cluster ${JSON.stringify(rejection.clusterId)}`;
    case "wrong-recipient":
      return `frame addressed to node ${JSON.stringify(rejection.recipientId)}, not to this node`;
    case "unknown-sender":
      return `hello from unknown node ${JSON.stringify(rejection.senderId)}`;
    case "sender-changed":
      return `frame claims sender ${JSON.stringify(rejection.senderId)}, not the node that said hello`;
    case "handshake-timeout":
      return `no hello within ${rejection.waitedMs} ms`;
    case "stalled-frame":
      return `partial frame stalled for ${rejection.waitedMs} ms`;
    case "certificate-mismatch":
      return `hello claims node ${JSON.stringify(rejection.senderId)}, but its TLS certificate names ${rejection.names.map((n) => JSON.stringify(n)).join(", ") || "nothing"}; it must name ${rejection.expected}`;
    case "buffer-budget":
      return `partial frames of all inbound connections would pass ${rejection.limit} bytes`;
    case "connection-limit":
      return `already ${rejection.limit} inbound connections open (--max-peer-connections)`;
    default: {
      const unreachable: never = rejection;
      return `unknown rejection ${JSON.stringify(unreachable)}`;
    }
  }
}
