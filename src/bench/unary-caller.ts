import type { DescMessage, DescMethodUnary, MessageShape } from "@bufbuild/protobuf";

/** Which client library carries the benchmark's gRPC calls. */
export type ClientLibrary = "http2" | "connect" | "grpc-js";

export function parseClientLibrary(text: string): ClientLibrary {
  switch (text) {
    case "http2":
    case "connect":
    case "grpc-js":
      return text;
    default:
      throw new Error(`unknown client library "${text}" (expected http2, connect or grpc-js)`);
  }
}

/**
 * A unary gRPC call over some client library. Targets are written against
 * this so the same request code can be measured through Connect's and
 * grpc-js's clients.
 */
export interface UnaryCaller {
  call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, input: MessageShape<I>): Promise<MessageShape<O>>;
  close(): void;
}

/** "/package.Service/Method", the gRPC request path of a method. */
export function grpcPath(method: DescMethodUnary): string {
  return `/${method.parent.typeName}/${method.name}`;
}
