import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";

export type KvConnection = Client<typeof KV>;

/** One gRPC connection to one node's client port (each workload client has its own). */
export function connectKv(endpoint: string): KvConnection {
  return createClient(KV, createGrpcTransport({ baseUrl: `http://${endpoint}` }));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const utf8 = (text: string): Uint8Array => encoder.encode(text);
export const fromUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);

/** What every workload loop needs: when to stop, how long one request may take. */
export interface ClientLoopLimits {
  readonly shouldStop: () => boolean;
  readonly maxOpsPerClient: number;
  readonly requestTimeoutMs: number;
}

/** Pause after a failed request so a down node is not hammered in a tight loop. */
export const failureBackoffMs = 25;
