import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * The client connection a call came on: an opaque object, the same for
 * every call on one connection (the HTTP/2 session, or the HTTP/1.1
 * socket), for limits that are per connection. Undefined when the server
 * did not say (a service called in-process).
 */
export const clientConnectionKey = createContextKey<object | undefined>(undefined, { description: "raftkv client connection" });

export function clientConnectionOf(context: HandlerContext): object | undefined {
  return context.values.get(clientConnectionKey);
}
