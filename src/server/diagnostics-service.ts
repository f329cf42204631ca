import type { ServiceImpl } from "@connectrpc/connect";
import type { Diagnostics } from "../gen/raftkv/v1/diagnostics_pb.ts";

/**
 * Diagnostics.Echo answers with the payload it was given and touches nothing
 * else, so benchmarks and tests measure the protocol stack alone.
 */
export function createDiagnosticsService(): ServiceImpl<typeof Diagnostics> {
  return {
    echo(request) {
      return { payload: request.payload };
    },
  };
}
