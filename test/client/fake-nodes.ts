import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { createRouterTransport } from "@connectrpc/connect";
import { hostPortOf } from "../../src/client/endpoint-url.ts";
import type { TransportFactory } from "../../src/client/transport-factory.ts";
import { Cluster } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { KV, type ResponseHeader, ResponseHeaderSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Lease } from "../../src/gen/raftkv/v1/lease_pb.ts";

/** What one fake node serves; every call is counted per method. */
export interface FakeNode {
  kv?: Partial<ServiceImpl<typeof KV>>;
  lease?: Partial<ServiceImpl<typeof Lease>>;
  cluster?: Partial<ServiceImpl<typeof Cluster>>;
}

/**
 * In-memory nodes behind Connect's router transport: real Connect
 * serialization of answers and errors, no sockets. A client that dials an
 * address no test defined gets an exception when its transport is created,
 * so the test notices.
 */
export class FakeNodes {
  readonly calls: string[] = [];
  private readonly nodes = new Map<string, FakeNode>();

  define(address: string, node: FakeNode): this {
    this.nodes.set(address, node);
    return this;
  }

  callsTo(address: string): string[] {
    return this.calls.filter((c) => c.startsWith(`${address} `)).map((c) => c.slice(address.length + 1));
  }

  readonly transport: TransportFactory = (baseUrl) => {
    const address = hostPortOf(baseUrl);
    const node = this.nodes.get(address);
    if (node === undefined) throw new Error(`test: no fake node at ${address}`);
    const record = (method: string): void => {
      this.calls.push(`${address} ${method}`);
    };
    return createRouterTransport((router) => {
      router.service(KV, counted(node.kv ?? {}, record));
      router.service(Lease, counted(node.lease ?? {}, record));
      router.service(Cluster, counted(node.cluster ?? {}, record));
    });
  };
}

function counted<T extends object>(impl: T, record: (method: string) => void): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(impl)) {
    if (typeof method !== "function") continue;
    wrapped[name] = (...args: unknown[]): unknown => {
      record(name);
      return (method as (...a: unknown[]) => unknown)(...args);
    };
  }
  return wrapped as T;
}

export function header(memberId: string, leaderId: string, index = 1n): ResponseHeader {
  return create(ResponseHeaderSchema, { memberId, leaderId, index, term: 1n });
}
