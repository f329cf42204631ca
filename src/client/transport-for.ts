import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { baseUrlOf } from "./endpoint-url.ts";
import type { TransportFactory } from "./transport-factory.ts";

export { baseUrlOf } from "./endpoint-url.ts";

/** The wire protocols a Node/Bun client can speak to a raftkv node. */
export type ClientProtocol = "grpc" | "grpc-web" | "connect" | "connect-json";

export function parseClientProtocol(text: string): ClientProtocol {
  switch (text) {
    case "grpc":
    case "grpc-web":
    case "connect":
    case "connect-json":
      return text;
    default:
      throw new Error(`protocol must be grpc, grpc-web, connect or connect-json, got ${JSON.stringify(text)}`);
  }
}

/** Node/Bun only (it imports @connectrpc/connect-node); browsers use webTransportFactory. */
export function nodeTransportFactory(protocol: ClientProtocol): TransportFactory {
  return (baseUrl) => transportFor(baseUrl, protocol);
}

export function transportFor(endpoint: string, protocol: ClientProtocol): Transport {
  const baseUrl = baseUrlOf(endpoint);
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "2" });
    case "connect-json":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false });
    default: {
      const unreachable: never = protocol;
      throw new Error(`unknown protocol ${String(unreachable)}`);
    }
  }
}
