import http2 from "node:http2";
import { type DescMessage, type DescMethodUnary, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { grpcPath, type UnaryCaller } from "./unary-caller.ts";

const STREAM_WINDOW_BYTES = 16 << 20;
const CONNECTION_WINDOW_BYTES = 256 << 20;

/** A gRPC call that ended with a non-OK status (or a broken response). */
export class GrpcCallError extends Error {
  constructor(
    readonly path: string,
    readonly grpcStatus: number,
    detail: string,
  ) {
    super(`${path}: grpc-status ${grpcStatus}: ${detail}`);
    this.name = "GrpcCallError";
  }
}

/**
 * A minimal unary gRPC client straight on node:http2 (no compression, no
 * retries, no interceptors). It exists because the load generator shares
 * the machine with the server: the less CPU the client burns per call, the
 * more of the machine the server gets. Connect and grpc-js remain available
 * (--client) and their per-call cost is reported.
 */
export class Http2GrpcCaller implements UnaryCaller {
  private readonly sessions: http2.ClientHttp2Session[] = [];
  private turn = 0;

  constructor(
    private readonly endpoint: string,
    private readonly connections: number,
    private readonly timeoutMs: number,
  ) {}

  call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, input: MessageShape<I>): Promise<MessageShape<O>> {
    const path = grpcPath(method);
    const body = toBinary(method.input, input);
    const frame = new Uint8Array(5 + body.length);
    new DataView(frame.buffer).setUint32(1, body.length);
    frame.set(body, 5);
    return new Promise((resolve, reject) => {
      const stream = this.session().request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": `${Math.ceil(this.timeoutMs)}m`,
      });
      const chunks: Buffer[] = [];
      let status: number | undefined;
      let message = "";
      const readStatus = (headers: http2.IncomingHttpHeaders): void => {
        const value = headers["grpc-status"];
        if (typeof value === "string") {
          status = Number(value);
          const text = headers["grpc-message"];
          message = typeof text === "string" ? decodeURIComponent(text) : "";
        }
      };
      const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), this.timeoutMs);
      stream.on("response", readStatus);
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error: Error) => {
        clearTimeout(timer);
        reject(new GrpcCallError(path, 14, error.message));
      });
      stream.on("close", () => {
        clearTimeout(timer);
        if (status === undefined) {
          reject(new GrpcCallError(path, 4, "stream closed without grpc-status (deadline or reset)"));
          return;
        }
        if (status !== 0) {
          reject(new GrpcCallError(path, status, message));
          return;
        }
        const payload = Buffer.concat(chunks);
        if (payload.length < 5) {
          reject(new GrpcCallError(path, 13, `response of ${payload.length} bytes has no message frame`));
          return;
        }
        try {
          resolve(fromBinary(method.output, payload.subarray(5, 5 + payload.readUInt32BE(1))));
        } catch (error) {
          reject(new GrpcCallError(path, 13, `cannot decode response: ${String(error)}`));
        }
      });
      stream.end(frame);
    });
  }

  private session(): http2.ClientHttp2Session {
    const index = this.turn++ % Math.max(1, this.connections);
    let session = this.sessions[index];
    if (session === undefined || session.closed || session.destroyed) {
      // Large flow-control windows, as h2load uses: with the 64 KiB defaults,
      // many concurrent large responses stall on WINDOW_UPDATE round trips and
      // the benchmark would measure flow control instead of the server.
      session = http2.connect(`http://${this.endpoint}`, { settings: { initialWindowSize: STREAM_WINDOW_BYTES } });
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      // A failed session surfaces on its streams; this keeps it from being an uncaught error.
      session.on("error", () => undefined);
      this.sessions[index] = session;
    }
    return session;
  }

  close(): void {
    for (const session of this.sessions) session.close();
  }
}
