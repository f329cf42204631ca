import type { HttpRequest } from "./http-request-handler.ts";

/**
 * The connection a request came on, as one object for every request on it:
 * the HTTP/2 session (each request's `socket` is a proxy of its own stream),
 * or the HTTP/1.1 socket.
 */
export function requestConnection(req: HttpRequest): object | undefined {
  if ("stream" in req) return req.stream.session ?? undefined;
  return req.socket ?? undefined;
}
