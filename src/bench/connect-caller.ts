import type { DescMessage, DescMethodUnary, MessageShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { UnaryCaller } from "./unary-caller.ts";

/**
 * gRPC over h2c through Connect's Node transport. Several transports (one
 * HTTP/2 session each) are used round-robin so high in-flight counts are not
 * capped by one connection's stream limit.
 */
export class ConnectCaller implements UnaryCaller {
  private readonly transports: Transport[];
  private turn = 0;

  constructor(
    endpoint: string,
    connections: number,
    private readonly timeoutMs: number,
  ) {
    this.transports = [];
    for (let i = 0; i < Math.max(1, connections); i++) {
      this.transports.push(
        createGrpcTransport({
          baseUrl: `http://${endpoint}`,
          defaultTimeoutMs: timeoutMs,
          acceptCompression: [],
        }),
      );
    }
  }

  async call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, input: MessageShape<I>): Promise<MessageShape<O>> {
    const transport = this.transports[this.turn++ % this.transports.length];
    if (transport === undefined) throw new Error("connect caller has no transport");
    const response = await transport.unary(method, undefined, this.timeoutMs, undefined, input);
    return response.message;
  }

  close(): void {
    // Connect's node sessions close themselves when idle; nothing to release.
  }
}
