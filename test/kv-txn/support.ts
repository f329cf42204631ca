import { expect } from "bun:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Lease } from "../../src/gen/raftkv/v1/lease_pb.ts";

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array(0));

export function kvClient(endpoint: string): Client<typeof KV> {
  return createClient(KV, createGrpcTransport({ baseUrl: `http://${endpoint}`, acceptCompression: [] }));
}

export function leaseClient(endpoint: string): Client<typeof Lease> {
  return createClient(Lease, createGrpcTransport({ baseUrl: `http://${endpoint}`, acceptCompression: [] }));
}

/** Awaits a call that must fail with `code`, its message containing every word. */
export async function expectCode(call: Promise<unknown>, code: Code, ...words: string[]): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  const connectError = error as ConnectError;
  expect(`${Code[connectError.code]}: ${connectError.rawMessage}`).toStartWith(`${Code[code]}: `);
  for (const word of words) expect(connectError.rawMessage).toContain(word);
  return connectError;
}
