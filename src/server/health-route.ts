import type { HealthState } from "../service/health-service.ts";
import type { HttpRoutes } from "./http-request-handler.ts";
import { pathOf } from "./request-path.ts";

/**
 * `GET /healthz` (liveness) from the node's health state: "ok" while the
 * process can serve, 503 naming the cause once its engine stopped (a
 * storage failure), so a supervisor restarts it instead of keeping a node
 * that answers nothing but health probes. A graceful shutdown is not a
 * failure: it stays "ok" until the port closes.
 */
export function createHealthRoute(health: HealthState): HttpRoutes {
  return (req, res) => {
    if (pathOf(req) !== "/healthz" || (req.method !== "GET" && req.method !== "HEAD")) return false;
    req.resume();
    const stopped = health.stopped;
    res.statusCode = stopped === undefined ? 200 : 503;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.setHeader("cache-control", "no-store");
    const body = stopped === undefined ? "ok\n" : `unhealthy: ${stopped}\n`;
    res.end(req.method === "HEAD" ? "" : body);
    return true;
  };
}
