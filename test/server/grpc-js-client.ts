import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoRoot = fileURLToPath(new URL("../../proto", import.meta.url));

export interface EchoReply {
  readonly payload: Buffer;
}

/** What a grpc-js unary call ended with: the reply or the status, plus metadata seen. */
export interface GrpcJsOutcome {
  readonly reply?: EchoReply;
  readonly error?: grpc.ServiceError;
  readonly headers?: grpc.Metadata;
  readonly status?: grpc.StatusObject;
}

type EchoClient = grpc.Client & {
  Echo(
    request: { payload: Uint8Array },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: EchoReply) => void,
  ): grpc.ClientUnaryCall;
};

/**
 * Diagnostics client from @grpc/grpc-js and the .proto file itself: an
 * independent gRPC implementation, sharing no code with Connect.
 */
export function createGrpcJsEchoClient(port: number, channelOptions: grpc.ChannelOptions = {}): GrpcJsEchoClient {
  const definition = protoLoader.loadSync("raftkv/v1/diagnostics.proto", { includeDirs: [protoRoot] });
  const loaded = grpc.loadPackageDefinition(definition);
  const raftkv = loaded.raftkv as grpc.GrpcObject;
  const v1 = raftkv.v1 as grpc.GrpcObject;
  const Diagnostics = v1.Diagnostics as grpc.ServiceClientConstructor;
  // proto-loader builds the client at run time; its shape is the .proto's.
  const client = new Diagnostics(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), channelOptions) as unknown as EchoClient;
  return new GrpcJsEchoClient(client);
}

export class GrpcJsEchoClient {
  constructor(private readonly client: EchoClient) {}

  echo(payload: Uint8Array, options: { metadata?: Record<string, string>; deadlineMs?: number } = {}): Promise<GrpcJsOutcome> {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    const callOptions: grpc.CallOptions = {};
    if (options.deadlineMs !== undefined) callOptions.deadline = Date.now() + options.deadlineMs;
    return new Promise((resolve) => {
      let headers: grpc.Metadata | undefined;
      let status: grpc.StatusObject | undefined;
      let settled: { reply?: EchoReply; error?: grpc.ServiceError } | undefined;
      const finish = (): void => {
        if (settled !== undefined && status !== undefined) resolve({ ...settled, headers, status });
      };
      const call = this.client.Echo({ payload }, metadata, callOptions, (error, reply) => {
        settled = error === null ? { reply } : { error };
        finish();
      });
      call.on("metadata", (received: grpc.Metadata) => {
        headers = received;
      });
      call.on("status", (received: grpc.StatusObject) => {
        status = received;
        finish();
      });
    });
  }

  /** Starts a call and cancels it from the client side after `cancelAfterMs`. */
  echoThenCancel(payload: Uint8Array, cancelAfterMs: number): Promise<GrpcJsOutcome> {
    return new Promise((resolve) => {
      const call = this.client.Echo({ payload }, new grpc.Metadata(), {}, (error, reply) => {
        resolve(error === null ? { reply } : { error });
      });
      setTimeout(() => call.cancel(), cancelAfterMs);
    });
  }

  /** A raw unary call to any path, for methods the .proto does not declare. */
  echoAt(path: string, rawRequest: Uint8Array): Promise<GrpcJsOutcome> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        path,
        (request: Uint8Array) => Buffer.from(request),
        (reply: Buffer) => ({ payload: reply }),
        rawRequest,
        new grpc.Metadata(),
        {},
        (error: grpc.ServiceError | null, reply?: EchoReply) => {
          resolve(error === null ? { reply } : { error });
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
