import type { HttpRoutes } from "./http-request-handler.ts";

/** Routes asked in order; the first that answers wins. */
export function firstRoute(...routes: readonly HttpRoutes[]): HttpRoutes {
  return (req, res) => routes.some((route) => route(req, res));
}
