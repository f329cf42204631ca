import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { constants as h2constants } from "node:http2";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorMessage } from "../log/error-message.ts";
import { codeName } from "./connect-code-names.ts";
import { FastPathHandlerContext } from "./fast-path-handler-context.ts";
import { parseGrpcTimeout } from "./grpc-timeout.ts";
import { setGrpcStatus } from "./grpc-trailer-status.ts";
import { toPublicError } from "./public-error.ts";
import type { RpcObserver } from "./rpc-observer.ts";
import type { ServerLogger } from "./server-logger.ts";
import type { UnaryMethodEntry } from "./unary-method-table.ts";

/** What every fast-path call shares with the server that owns it. */
export interface GrpcUnaryCallLimits {
  readonly maxRequestBytes: number;
  readonly maxTimeoutMs: number;
  readonly logger: ServerLogger;
  readonly observer?: RpcObserver;
}

/** Where a call registers while it runs, so a shutdown can abort it. */
export interface ActiveCalls {
  add(context: FastPathHandlerContext): void;
  delete(context: FastPathHandlerContext): void;
}

/** gRPC messages are framed: 1 flag byte, then a 4-byte big-endian length. */
const frameHeaderBytes = 5;
const compressedFlag = 0b1;

/**
 * One unary gRPC call served straight off an HTTP/2 stream: read the single
 * length-prefixed request message, run the registered implementation with a
 * real HandlerContext (deadline, metadata, response headers and trailers),
 * then answer with one message and `grpc-status: 0` trailers, or with a
 * trailers-only error. Exactly one answer is written, whichever of success,
 * failure, deadline or client cancellation comes first.
 */
export class GrpcUnaryCall {
  private readonly chunks: Buffer[] = [];
  private receivedBytes = 0;
  /** Length of the request message from its frame header; -1 until read. */
  private messageBytes = -1;
  private requestEnded = false;
  private answered = false;
  private context: FastPathHandlerContext | undefined;
  private readonly startedAt = performance.now();

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly entry: UnaryMethodEntry,
    private readonly limits: GrpcUnaryCallLimits,
    private readonly activeCalls: ActiveCalls,
  ) {}

  start(): void {
    const { stream } = this;
    // A stream error is followed by 'close'; listening keeps it from being
    // thrown as an unhandled 'error' event.
    stream.on("error", ignoreStreamError);
    stream.once("close", this.onClose);
    const timeout = parseGrpcTimeout(headerValue(this.headers["grpc-timeout"]), this.limits.maxTimeoutMs);
    if (timeout.error !== undefined) {
      this.fail(timeout.error);
      return;
    }
    this.context = new FastPathHandlerContext(
      this.entry.service,
      this.entry.method,
      this.headers,
      timeout.timeoutMs,
      this.onContextAborted,
      stream.session?.socket,
    );
    this.activeCalls.add(this.context);
    stream.on("data", this.onData);
    stream.once("end", this.onEnd);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.answered) return;
    this.chunks.push(chunk);
    this.receivedBytes += chunk.length;
    if (this.messageBytes < 0 && this.receivedBytes >= frameHeaderBytes) {
      const head = this.joinedChunks();
      if ((head[0] ?? 0) & compressedFlag) {
        this.fail(new ConnectError("protocol error: request message is flagged compressed but grpc-encoding is identity", Code.Internal));
        return;
      }
      this.messageBytes = head.readUInt32BE(1);
      if (this.messageBytes > this.limits.maxRequestBytes) {
        this.fail(
          new ConnectError(
            `request message of ${this.messageBytes} bytes exceeds the limit of ${this.limits.maxRequestBytes} bytes (maxRequestBytes)`,
            Code.ResourceExhausted,
          ),
        );
        return;
      }
    }
    if (this.messageBytes >= 0 && this.receivedBytes > frameHeaderBytes + this.messageBytes) {
      this.fail(new ConnectError("protocol error: received more than one request message for a unary method", Code.InvalidArgument));
    }
  };

  private readonly onEnd = (): void => {
    this.requestEnded = true;
    if (this.answered) return;
    if (this.messageBytes < 0 || this.receivedBytes < frameHeaderBytes + this.messageBytes) {
      const expected = this.messageBytes < 0 ? "a 5-byte frame header" : `${frameHeaderBytes + this.messageBytes} bytes`;
      this.fail(new ConnectError(`protocol error: request ended after ${this.receivedBytes} bytes, expected ${expected}`, Code.InvalidArgument));
      return;
    }
    const joined = this.joinedChunks();
    // A plain Uint8Array view, not a Buffer: decoded bytes fields are views of
    // it, and Buffer's slice() shares memory where Uint8Array's copies.
    this.invoke(new Uint8Array(joined.buffer, joined.byteOffset + frameHeaderBytes, joined.length - frameHeaderBytes));
  };

  private invoke(messageBytes: Uint8Array): void {
    const { method, impl } = this.entry;
    const context = this.context;
    if (context === undefined) return;
    let request: MessageShape<DescMessage>;
    try {
      request = fromBinary(method.input, messageBytes);
    } catch (reason) {
      const detail = errorMessage(reason);
      this.fail(new ConnectError(`invalid ${method.input.typeName}: ${detail}`, Code.InvalidArgument));
      return;
    }
    let result: MessageInitShape<DescMessage> | Promise<MessageInitShape<DescMessage>>;
    try {
      result = impl(request, context);
    } catch (reason) {
      this.fail(this.publicError(reason));
      return;
    }
    if (result instanceof Promise) {
      result.then(this.succeed, (reason: unknown) => this.fail(this.publicError(reason)));
    } else {
      this.succeed(result);
    }
  }

  private readonly succeed = (output: MessageInitShape<DescMessage>): void => {
    const context = this.context;
    if (this.answered || context === undefined) return;
    const schema = this.entry.method.output;
    let frame: Buffer;
    try {
      const message = isMessage(output, schema) ? output : create(schema, output);
      frame = frameOf(toBinary(schema, message));
    } catch (reason) {
      this.fail(this.publicError(reason));
      return;
    }
    const responseHeaders: OutgoingHttpHeaders = {
      ":status": 200,
      "content-type": "application/grpc",
    };
    copyHeaders(context.responseHeaderIfSet, responseHeaders);
    const trailers: OutgoingHttpHeaders = {};
    copyHeaders(context.responseTrailerIfSet, trailers);
    trailers["grpc-status"] = "0";
    this.answered = true;
    try {
      this.stream.respond(responseHeaders, { waitForTrailers: true });
    } catch (reason) {
      // respond() throws on headers HTTP/2 forbids (e.g. "connection") set
      // by a handler; nothing was sent yet, so an error can still be sent.
      this.answered = false;
      this.fail(this.publicError(reason));
      return;
    }
    this.stream.once("wantTrailers", () => {
      try {
        this.stream.sendTrailers(trailers);
      } catch {
        this.stream.close(h2constants.NGHTTP2_INTERNAL_ERROR);
      }
    });
    this.stream.end(frame);
    this.report("ok");
    this.finishContext();
  };

  /** Answers with a trailers-only response: one HEADERS frame that ends the stream. */
  private fail(error: ConnectError): void {
    if (this.answered) return;
    this.answered = true;
    this.report(codeName(error.code));
    const { stream } = this;
    if (stream.destroyed || stream.closed) {
      this.finishContext(error);
      return;
    }
    const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
    const context = this.context;
    if (context !== undefined) {
      copyHeaders(context.responseHeaderIfSet, headers);
      copyHeaders(context.responseTrailerIfSet, headers);
    }
    copyHeaders(setGrpcStatus(new Headers(), error), headers);
    try {
      stream.respond(headers, { endStream: true });
    } catch {
      // Handler-set headers HTTP/2 forbids make respond() throw; drop them.
      try {
        stream.respond(
          {
            ":status": 200,
            "content-type": "application/grpc",
            ...headersObjectOf(setGrpcStatus(new Headers(), error)),
          },
          { endStream: true },
        );
      } catch {
        stream.close(h2constants.NGHTTP2_INTERNAL_ERROR);
      }
    }
    if (!this.requestEnded) {
      // The client is still sending a request we will not read; RST_STREAM
      // with NO_ERROR after the status tells it to stop (as gRPC servers do).
      stream.close(h2constants.NGHTTP2_NO_ERROR);
    }
    this.finishContext(error);
  }

  /** Deadline, shutdown or cancellation: answer with that reason if nothing was sent yet. */
  private readonly onContextAborted = (reason: ConnectError): void => {
    this.fail(reason);
  };

  private readonly onClose = (): void => {
    if (this.answered) return;
    this.answered = true;
    this.report("canceled");
    this.context?.abort(new ConnectError("client closed the stream before the response", Code.Canceled));
    this.finishContext();
  };

  /** Fires the context's signal (with the error, if the call failed) and forgets the call. */
  private finishContext(error?: ConnectError): void {
    const context = this.context;
    if (context === undefined) return;
    this.activeCalls.delete(context);
    context.abort(error);
  }

  private report(code: string): void {
    const observer = this.limits.observer;
    if (observer === undefined) return;
    const { service, method } = this.entry;
    observer.rpcDone({ service: service.typeName, method: method.name, protocol: "grpc", code, seconds: (performance.now() - this.startedAt) / 1000 });
  }

  private publicError(reason: unknown): ConnectError {
    return toPublicError(reason, this.headers[":path"] ?? "", this.limits.logger);
  }

  private joinedChunks(): Buffer {
    const first = this.chunks[0];
    if (this.chunks.length === 1 && first !== undefined) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.chunks.push(joined);
    return joined;
  }
}

function ignoreStreamError(): void {}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function copyHeaders(source: Headers | undefined, target: OutgoingHttpHeaders): void {
  source?.forEach((value, name) => {
    target[name] = value;
  });
}

function headersObjectOf(source: Headers): OutgoingHttpHeaders {
  const target: OutgoingHttpHeaders = {};
  copyHeaders(source, target);
  return target;
}

function frameOf(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, frameHeaderBytes);
  return frame;
}
