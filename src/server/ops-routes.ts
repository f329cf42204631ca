import { errorMessage } from "../log/error-message.ts";
import type { HttpRequest, HttpResponse, HttpRoutes } from "./http-request-handler.ts";
import { pathOf } from "./request-path.ts";

/** A readiness verdict with the facts behind it, answered as JSON. */
export interface ReadinessAnswer {
  readonly ready: boolean;
  readonly reason: string;
}

/** Whether the caller with this authorization header may scrape /metrics (200), and why not (401, 403). */
export type MetricsAccess = (authorization: string | undefined) => { readonly status: 200 | 401 | 403; readonly reason: string };

export interface OpsRoutesOptions {
  /** The Prometheus text exposition and its content type. */
  readonly metrics?: { readonly contentType: string; scrape(): Promise<string> };
  /** Open to everyone when absent (like /healthz). */
  readonly metricsAccess?: MetricsAccess;
  readonly readiness?: () => ReadinessAnswer;
  /** Undefined while the node can serve; a reason once it cannot (the engine stopped). */
  readonly livenessFailure?: () => string | undefined;
  readonly logger?: { error(message: string, fields?: Readonly<Record<string, unknown>>): void };
}

/**
 * GET /metrics (Prometheus), GET /readyz (200 or 503 with the reason, JSON)
 * and GET /healthz or /livez (liveness: 200 "ok" while the node can serve,
 * 503 with the reason once its engine stopped). HEAD works on each.
 */
export function createOpsRoutes(options: OpsRoutesOptions): HttpRoutes {
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    switch (pathOf(req)) {
      case "/metrics":
        if (options.metrics === undefined) return false;
        serveMetrics(options, req, res);
        return true;
      case "/readyz": {
        if (options.readiness === undefined) return false;
        const answer = options.readiness();
        send(req, res, answer.ready ? 200 : 503, "application/json", `${JSON.stringify(answer)}\n`);
        return true;
      }
      case "/healthz":
      case "/livez": {
        const failure = options.livenessFailure?.();
        if (failure === undefined) send(req, res, 200, "text/plain; charset=utf-8", "ok\n");
        else send(req, res, 503, "text/plain; charset=utf-8", `not alive: ${failure}\n`);
        return true;
      }
      default:
        return false;
    }
  };
}

function serveMetrics(options: OpsRoutesOptions, req: HttpRequest, res: HttpResponse): void {
  const metrics = options.metrics;
  if (metrics === undefined) return;
  const access = options.metricsAccess?.(headerOf(req, "authorization"));
  if (access !== undefined && access.status !== 200) {
    if (access.status === 401) res.setHeader("www-authenticate", 'Bearer realm="raftkv metrics"');
    send(req, res, access.status, "text/plain; charset=utf-8", `${access.reason}\n`);
    return;
  }
  metrics.scrape().then(
    (body) => send(req, res, 200, metrics.contentType, body),
    (error: unknown) => {
      options.logger?.error("collecting metrics failed", { error: errorMessage(error) });
      send(req, res, 500, "text/plain; charset=utf-8", "collecting metrics failed (see the node's log)\n");
    },
  );
}

function headerOf(req: HttpRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(req: HttpRequest, res: HttpResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader("content-type", contentType);
  res.setHeader("cache-control", "no-store");
  res.end(req.method === "HEAD" ? "" : body);
}
