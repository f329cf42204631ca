import { Code, ConnectError } from "@connectrpc/connect";
import type { ServerLogger } from "./server-logger.ts";

/**
 * Turns whatever a handler threw into the error a client may see. A
 * ConnectError was meant for the client and passes unchanged; anything else
 * is a bug or an internal failure whose message may leak internals, so the
 * client gets INTERNAL with a fixed message and the operator gets the log.
 */
export function toPublicError(reason: unknown, procedure: string, logger: ServerLogger): ConnectError {
  if (reason instanceof ConnectError) return reason;
  logger.error("rpc handler failed", { procedure, error: describe(reason) });
  return new ConnectError(`internal error in ${procedure}`, Code.Internal);
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  return String(reason);
}
