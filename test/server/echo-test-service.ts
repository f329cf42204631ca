import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Diagnostics, EchoRequest } from "../../src/gen/raftkv/v1/diagnostics_pb.ts";
import { servingPathKey } from "../../src/server/serving-path.ts";

/** A message that needs percent-encoding in grpc-message: non-ASCII, %, newline. */
export const awkwardErrorMessage = "bad key «clé» 100% sure\nsecond line";
export const internalSecret = "secret detail: /var/lib/raftkv/kv.db is locked";

const text = new TextDecoder();
const bytes = new TextEncoder();

/**
 * A test double of the Diagnostics service: the payload picks a behaviour so
 * every client (Connect, grpc-js, fetch) can drive it the same way.
 * "sleep" waits until the call is aborted (deadline, cancel, shutdown) or 5 s
 * pass, and records how it ended in `sleepEnds`;
 * "fail" throws a ConnectError; "crash" throws a plain Error; "metadata"
 * reports request metadata and sets response headers and trailers; anything
 * else is echoed.
 */
export function createEchoTestService(sleepEnds: string[] = []): ServiceImpl<typeof Diagnostics> {
  return {
    async echo(request: EchoRequest, context: HandlerContext) {
      const command = text.decode(request.payload);
      switch (command) {
        case "sleep":
          await abortedOrTimeout(context.signal, 5_000);
          sleepEnds.push(context.signal.aborted ? `aborted: ${ConnectError.from(context.signal.reason).code}` : "slept");
          return { payload: bytes.encode(context.signal.aborted ? "aborted" : "slept") };
        case "slow":
          await new Promise((resolve) => setTimeout(resolve, 300));
          return { payload: bytes.encode("slow done") };
        case "fail":
          throw new ConnectError(awkwardErrorMessage, Code.FailedPrecondition);
        case "crash":
          throw new Error(internalSecret);
        case "metadata":
          context.responseHeader.set("x-test-header", "from-handler");
          context.responseTrailer.set("x-test-trailer", "trailer-value");
          return {
            payload: bytes.encode(
              JSON.stringify({
                meta: context.requestHeader.get("x-test-meta"),
                protocol: context.protocolName,
                timeoutMs: context.timeoutMs(),
                servedBy: context.values.get(servingPathKey),
              }),
            ),
          };
        default:
          return { payload: request.payload };
      }
    },
  };
}

function abortedOrTimeout(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
