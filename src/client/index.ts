/**
 * The raftkv client library, browser-safe: nothing reachable from here
 * imports @connectrpc/connect-node or node: modules (a test bundles it for
 * the browser to keep it so).
 *
 *   // Node/Bun
 *   import { nodeTransportFactory } from "raftkv/src/client/transport-for.ts";
 *   const client = new RaftkvClient({ endpoints: ["127.0.0.1:40051", "127.0.0.1:40052"], transport: nodeTransportFactory("grpc") });
 *   // Browser
 *   const client = new RaftkvClient({ endpoints: ["https://kv.example:40051"], transport: webTransportFactory("grpc-web") });
 *
 *   await client.put("k", "v");
 *   for await (const update of client.watch({ key: new TextEncoder().encode("k/"), prefix: true })) { ... }
 */

export { withBearerToken } from "./bearer-transport.ts";
export { type CallFailure, classifyCallFailure, WRITE_NOT_PROPOSED_HEADER } from "./call-failure.ts";
export type { ClientCallOptions } from "./failover-caller.ts";
export { type Bytes, prefixEnd, toBytes } from "./key-bytes.ts";
export { type DeleteOptions, type PutOptions, RaftkvClient, type RaftkvClientOptions, type ReadOptions } from "./raftkv-client.ts";
export { defaultRetryPolicy, type RetryPolicy } from "./retry-policy.ts";
export type { TransportFactory } from "./transport-factory.ts";
export type { WatchOptions, WatchUpdate } from "./watch-update.ts";
export { type WebTransportKind, webTransportFactory } from "./web-transport.ts";
export { WriteOutcomeUnknownError } from "./write-outcome-unknown-error.ts";
