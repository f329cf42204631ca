import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import type { TransportFactory } from "./transport-factory.ts";

/** What a browser can speak: gRPC-Web (the default) or Connect over fetch. */
export type WebTransportKind = "grpc-web" | "connect";

/** A fetch-based transport factory: works in browsers (and in Bun, which has fetch). */
export function webTransportFactory(kind: WebTransportKind = "grpc-web"): TransportFactory {
  switch (kind) {
    case "grpc-web":
      return (baseUrl) => createGrpcWebTransport({ baseUrl });
    case "connect":
      return (baseUrl) => createConnectTransport({ baseUrl });
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown web transport ${String(unreachable)}`);
    }
  }
}
