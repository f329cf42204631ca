import { type DescMessage, type DescMethodUnary, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Client, credentials, type ServiceError } from "@grpc/grpc-js";
import { grpcPath, type UnaryCaller } from "./unary-caller.ts";

/**
 * gRPC through @grpc/grpc-js's generic client, with protobuf-es doing the
 * (de)serialisation, so no .proto loading is needed at run time.
 */
export class GrpcJsCaller implements UnaryCaller {
  private readonly clients: Client[];
  private turn = 0;

  constructor(
    endpoint: string,
    connections: number,
    private readonly timeoutMs: number,
  ) {
    this.clients = [];
    for (let i = 0; i < Math.max(1, connections); i++) {
      // A distinct channel option keeps grpc-js from sharing one subchannel.
      this.clients.push(new Client(endpoint, credentials.createInsecure(), { "grpc.bench_channel": i }));
    }
  }

  call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, input: MessageShape<I>): Promise<MessageShape<O>> {
    const client = this.clients[this.turn++ % this.clients.length];
    if (client === undefined) return Promise.reject(new Error("grpc-js caller has no client"));
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        grpcPath(method),
        (message: MessageShape<I>) => Buffer.from(toBinary(method.input, message)),
        (bytes: Buffer) => fromBinary(method.output, bytes),
        input,
        { deadline: Date.now() + this.timeoutMs },
        (error: ServiceError | null, output?: MessageShape<O>) => {
          if (error !== null) reject(error);
          else if (output === undefined) reject(new Error(`${grpcPath(method)} returned no message`));
          else resolve(output);
        },
      );
    });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
