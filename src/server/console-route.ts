import { errorMessage } from "../log/error-message.ts";
import { buildConsoleFromSource } from "./console-source-build.ts";
import type { ConsoleAssets } from "./console-sources.ts";
import type { HttpRequest, HttpResponse, HttpRoutes } from "./http-request-handler.ts";
import { pathOf } from "./request-path.ts";

type AssetName = "html" | "js" | "css";

/** What each path serves; the page refers to its script and stylesheet relatively, so a path prefix added by a proxy still works. */
const routes: ReadonlyMap<string, { readonly asset: AssetName; readonly contentType: string }> = new Map([
  ["/", { asset: "html", contentType: "text/html; charset=utf-8" }],
  ["/index.html", { asset: "html", contentType: "text/html; charset=utf-8" }],
  ["/console/app.js", { asset: "js", contentType: "text/javascript; charset=utf-8" }],
  ["/console/app.css", { asset: "css", contentType: "text/css; charset=utf-8" }],
]);

/**
 * The page may talk to any member's client port (per-member status), and to
 * nothing else; it may not be framed (its admin buttons must not be
 * clickjacked). Scripts and styles come only from this node.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * `GET /` and the console's two assets. The bundle is loaded on the first
 * request; it talks to the node only through the
 * public RPC services, so this route serves files and nothing else.
 */
export function createConsoleRoute(load: () => Promise<ConsoleAssets> = loadBundledAssets): HttpRoutes {
  let loading: Promise<ConsoleAssets> | undefined;
  return (req, res) => {
    const route = routes.get(pathOf(req));
    if (route === undefined || (req.method !== "GET" && req.method !== "HEAD")) return false;
    loading ??= load();
    loading.then(
      (assets) => send(req, res, assets, route.asset, route.contentType),
      (error: unknown) => {
        // A development tree whose web/ does not build: say so instead of a blank page; the next request tries again.
        loading = undefined;
        res.statusCode = 500;
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end(`the console could not be built: ${errorMessage(error)}\n`);
      },
    );
    return true;
  };
}

/**
 * A bundled node (`bun build --compile`) carries the console inside; one run
 * from source (a .ts module) builds it on first use. The import below stays
 * in the source so that the bundler includes the console.
 */
async function loadBundledAssets(): Promise<ConsoleAssets> {
  if (import.meta.path.endsWith(".ts")) return buildConsoleFromSource();
  return (await import("./console-assets.ts")).assets;
}

function send(req: HttpRequest, res: HttpResponse, assets: ConsoleAssets, asset: AssetName, contentType: string): void {
  res.setHeader("etag", assets.etag);
  // Revalidate every time: a node upgraded in place must not keep serving an old console from a browser cache.
  res.setHeader("cache-control", "no-cache");
  res.setHeader("x-content-type-options", "nosniff");
  if (asset === "html") {
    res.setHeader("content-security-policy", contentSecurityPolicy);
    res.setHeader("referrer-policy", "no-referrer");
  }
  if (req.headers["if-none-match"] === assets.etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const body = assets[asset];
  res.statusCode = 200;
  res.setHeader("content-type", contentType);
  res.setHeader("content-length", String(Buffer.byteLength(body)));
  res.end(req.method === "HEAD" ? "" : body);
}
