import { createContextKey } from "@connectrpc/connect";

/** Which code path served a call: Connect's handlers or the unary gRPC fast path. */
export type ServingPath = "connect" | "grpc-fast-path";

/**
 * Readable by any handler as `context.values.get(servingPathKey)`, for
 * diagnostics, metrics and tests that must know the fast path was taken.
 */
export const servingPathKey = createContextKey<ServingPath>("connect", { description: "serving path" });
