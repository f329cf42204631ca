import type { HttpRequest, HttpResponse, HttpRoutes } from "./http-request-handler.ts";
import type { RpcObserver } from "./rpc-observer.ts";

/** Connect's own mapping of HTTP statuses to codes (what REST answers with), for the code label. */
function codeOfStatus(status: number): string {
  if (status >= 200 && status < 300) return "ok";
  switch (status) {
    case 400:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 408:
    case 504:
      return "deadline_exceeded";
    case 409:
      return "aborted";
    case 412:
      return "failed_precondition";
    case 413:
    case 429:
      return "resource_exhausted";
    case 499:
      return "canceled";
    case 501:
      return "unimplemented";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "unknown";
  }
}

/** The KV method a REST request stands for: what the handler calls underneath. */
function restMethodOf(req: HttpRequest): string {
  const url = req.url ?? "";
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  const listing = path === "/v1/kv" || path === "/v1/kv/";
  switch (req.method) {
    case "GET":
    case "HEAD":
      return listing ? "Range" : "Get";
    case "PUT":
    case "POST":
      return query >= 0 && /[?&]cas=/.test(url) ? "Txn" : "Put";
    case "DELETE":
      return "Delete";
    default:
      return req.method ?? "unknown";
  }
}

/**
 * Wraps the REST routes so every request they answer is reported like an
 * RPC: service raftkv.v1.KV, the method it maps to, the code of its HTTP
 * status, protocol "rest". The report is made when the response finished
 * (or the client went away: canceled).
 */
export function observeRestRoutes(routes: HttpRoutes, observer: RpcObserver): HttpRoutes {
  return (req, res) => {
    const started = performance.now();
    if (!routes(req, res)) return false;
    let reported = false;
    const report = (code: string): void => {
      if (reported) return;
      reported = true;
      observer.rpcDone({ service: "raftkv.v1.KV", method: restMethodOf(req), protocol: "rest", code, seconds: (performance.now() - started) / 1000 });
    };
    const response = res as HttpResponse & { once(event: "finish" | "close", listener: () => void): unknown };
    response.once("finish", () => report(codeOfStatus(res.statusCode)));
    response.once("close", () => report(res.writableFinished ? codeOfStatus(res.statusCode) : "canceled"));
    return true;
  };
}
