import type { Socket } from "node:net";
import { createContextKey } from "@connectrpc/connect";

/**
 * The connection a call arrived on (a TLSSocket when the port speaks TLS),
 * readable by handlers and interceptors as `context.values.get(clientSocketKey)`:
 * what a client certificate proves is read from it.
 */
export const clientSocketKey = createContextKey<Socket | undefined>(undefined, { description: "client connection" });
