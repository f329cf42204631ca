import { cors as connectCors } from "@connectrpc/connect";

/** The parts of a node:http or node:http2 request the policy reads. */
export interface CorsRequest {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  resume(): unknown;
}

/** The parts of a node:http or node:http2 response the policy writes. */
export interface CorsResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(): unknown;
  end(body: string): unknown;
}

/**
 * Methods a page may use: Connect's (POST, and GET for side-effect-free
 * unary calls) and REST's (GET, HEAD, PUT, DELETE on /v1/kv).
 */
const allowedMethods = [...new Set([...connectCors.allowedMethods, "GET", "HEAD", "PUT", "DELETE"])].join(", ");

/**
 * Request headers Connect and gRPC-Web send from a browser, plus the bearer
 * token of an authenticated node (`authorization`; a `*` in this list would
 * not cover it, so it is named).
 */
const allowedHeaders = [...new Set([...connectCors.allowedHeaders, "authorization"].map((h) => h.toLowerCase()))].join(", ");

/**
 * Response headers a page's script must be able to read: gRPC-Web's status
 * (without them every call looks like a network error), Connect's encodings,
 * the "never proposed" marker the client uses to retry writes safely (as a
 * header, and as Connect sends unary trailers), and REST's metadata.
 */
const exposedHeaders = [
  ...new Set(
    [
      ...connectCors.exposedHeaders,
      "grpc-status",
      "grpc-message",
      "grpc-status-details-bin",
      "content-encoding",
      "raftkv-write-not-proposed",
      "trailer-raftkv-write-not-proposed",
      "x-raftkv-index",
      "x-raftkv-term",
      "x-raftkv-leader",
      "x-raftkv-create-index",
      "x-raftkv-mod-index",
      "x-raftkv-version",
    ].map((h) => h.toLowerCase()),
  ),
].join(", ");

/** Two hours: Chromium's ceiling for caching a preflight (Firefox allows a day). */
const preflightMaxAgeSeconds = 7200;

/**
 * Cross-origin access to the client port (`--cors-allowed-origins`), for web
 * pages on other origins that call the node with gRPC-Web, Connect or REST.
 *
 * Requests without an Origin, or from the node's own origin (the console it
 * serves), are none of its business. From a listed origin a preflight is
 * answered and the real request gets the headers a browser needs to hand the
 * answer to the page. From any other origin nothing is done: a preflight is
 * refused (so the browser never sends the write), and a request a browser
 * sends without one (a form post, a no-cors fetch) is refused too, before any
 * handler sees it. Without the flag no origin is listed: no page on
 * another origin gets an answer it can read, and none can send a write.
 */
export class CorsPolicy {
  private constructor(
    /** Normalized origins (`scheme://host[:port]`), or undefined for `*`. */
    private readonly origins: ReadonlySet<string> | undefined,
  ) {}

  /**
   * The policy for a list of origins. An empty list (CORS off, the default)
   * still refuses what a browser sends from another site without asking (a
   * form post, a no-cors fetch): a page on the web must not write to a node
   * on its visitor's machine (CSRF).
   */
  static of(origins: readonly string[]): CorsPolicy {
    const normalized = origins.map(normalizeOrigin);
    return new CorsPolicy(normalized.includes("*") ? undefined : new Set(normalized));
  }

  /** Whether a page on `origin` (as a browser sends it) may call the node. */
  allows(origin: string): boolean {
    return this.origins === undefined || this.origins.has(origin.toLowerCase());
  }

  /**
   * Runs before any route or RPC. Returns true when it answered (a
   * preflight, or a refusal); false to let the request go on, with the CORS
   * headers already set on the response when the origin is allowed.
   */
  handle(req: CorsRequest, res: CorsResponse): boolean {
    const origin = single(req.headers.origin);
    if (origin === undefined || isSameOrigin(origin, single(req.headers.host) ?? single(req.headers[":authority"]))) return false;
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (!this.allows(origin)) {
      refuse(req, res, origin, preflight);
      return true;
    }
    this.setAllowOrigin(res, origin);
    if (!preflight) {
      res.setHeader("access-control-expose-headers", exposedHeaders);
      return false;
    }
    req.resume();
    res.statusCode = 204;
    res.setHeader("access-control-allow-methods", allowedMethods);
    res.setHeader("access-control-allow-headers", allowedHeaders);
    res.setHeader("access-control-max-age", String(preflightMaxAgeSeconds));
    res.end();
    return true;
  }

  private setAllowOrigin(res: CorsResponse, origin: string): void {
    if (this.origins === undefined) {
      // No credentials (cookies) are ever honoured, so `*` is exact and lets caches share the answer.
      res.setHeader("access-control-allow-origin", "*");
      return;
    }
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "origin");
  }
}

/**
 * Parses `--cors-allowed-origins`: a comma list of origins, or `*` for any
 * origin (only when written out). Empty entries are skipped; an entry that
 * is not an origin is an error naming it.
 */
export function parseCorsAllowedOrigins(text: string): string[] {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map(normalizeOrigin);
}

/** `HTTP://Example.com:80/` → `http://example.com`; `*` stays; anything else with a path, query or no scheme throws. */
function normalizeOrigin(entry: string): string {
  if (entry === "*") return entry;
  const problem = `--cors-allowed-origins: ${JSON.stringify(entry)} is not an origin: expected scheme://host[:port] (e.g. http://localhost:3000), or * for any origin`;
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new Error(problem);
  }
  const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
  // No wildcards inside a host: a browser sends one exact origin, and a pattern would be easy to get wrong.
  const plainHost = /^[a-z0-9.\-[\]:]+$/.test(url.hostname);
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !bare || !plainHost || !/^[a-z]+:\/\//i.test(entry)) throw new Error(problem);
  return url.origin;
}

/** A page served by this node itself (its console) sends its own origin; browsers need no CORS for it. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    // "null" (sandboxed frames, file: pages) and other non-URL origins are never this node.
    return false;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function refuse(req: CorsRequest, res: CorsResponse, origin: string, preflight: boolean): void {
  // The body, if any, is dropped unread: nothing of this request reaches a handler.
  req.resume();
  res.statusCode = 403;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  const what = preflight ? "preflight refused" : "request refused";
  res.end(`cors: ${what}: origin ${origin} is not in --cors-allowed-origins (a page on another origin may call this node only when listed there)\n`);
}
