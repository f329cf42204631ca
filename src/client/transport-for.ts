import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { ClientTlsOptions } from "./client-tls.ts";
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
export function nodeTransportFactory(protocol: ClientProtocol, tls?: ClientTlsOptions): TransportFactory {
  return (baseUrl) => transportFor(baseUrl, protocol, tls);
}

/** A transport to one node; with `tls`, over https:// with those CAs (and client certificate). */
export function transportFor(endpoint: string, protocol: ClientProtocol, tls?: ClientTlsOptions): Transport {
  const baseUrl = tls === undefined ? baseUrlOf(endpoint) : baseUrlOf(endpoint).replace(/^http:\/\//, "https://");
  // node:http2 and node:https take the same PEM options; undefined ones mean "not given".
  const nodeOptions = tls === undefined ? undefined : { ca: tls.ca, cert: tls.cert, key: tls.key };
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions });
    case "connect-json":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, nodeOptions });
    default: {
      const unreachable: never = protocol;
      throw new Error(`unknown protocol ${String(unreachable)}`);
    }
  }
}
