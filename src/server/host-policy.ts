import { isIP } from "node:net";

/** The parts of a request and response the policy reads and writes. */
export interface HostCheckedRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  resume(): unknown;
}

export interface HostCheckedResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * Which `Host` names this node answers for on cleartext HTTP/1.1
 * (`--allowed-hosts`, etcd's --host-whitelist), against DNS rebinding: a
 * page on attacker.example whose name is re-pointed at 127.0.0.1 is, to
 * the browser, same-origin with the node, and its requests carry
 * `Host: attacker.example`. Answering only for names the node knows
 * defeats that.
 *
 * Always answered: IP literals (a page whose origin is an IP is the node's
 * own origin, nobody's name to re-point), `localhost` and `*.localhost`
 * (browsers resolve these to loopback themselves), and the names the node
 * was given (--listen, --advertise-client, the machine's host name).
 *
 * Only cleartext HTTP/1.1 is checked: browsers speak HTTP/2 only over TLS,
 * and over TLS a rebound name fails the certificate check before any
 * request is sent. gRPC clients (HTTP/2) are never affected.
 */
export class HostPolicy {
  private constructor(
    /** Lower-case names; undefined when `*` allows any. */
    private readonly names: ReadonlySet<string> | undefined,
  ) {}

  /** `allowed` from --allowed-hosts (`*` turns the check off); `ownNames` are the node's own. */
  static of(allowed: readonly string[], ownNames: readonly string[]): HostPolicy {
    if (allowed.includes("*")) return new HostPolicy(undefined);
    return new HostPolicy(new Set([...allowed, ...ownNames].map((name) => name.toLowerCase()).filter((name) => name !== "")));
  }

  /** Whether a request with this Host header may be answered. No Host (HTTP/1.0) is not from a browser. */
  allows(host: string | undefined): boolean {
    if (host === undefined || this.names === undefined) return true;
    const name = hostnameOf(host);
    if (name === undefined) return false;
    if (isIP(name) !== 0 || name === "localhost" || name.endsWith(".localhost")) return true;
    return this.names.has(name);
  }

  /** Answers 421 and returns true when the request's Host is not one this node answers for. */
  refuseMisdirected(req: HostCheckedRequest, res: HostCheckedResponse): boolean {
    const host = single(req.headers.host);
    if (this.allows(host)) return false;
    req.resume();
    res.statusCode = 421;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.setHeader("cache-control", "no-store");
    res.end(`host ${JSON.stringify(host)} is not a name this node answers for (add it with --allowed-hosts)\n`);
    return true;
  }
}

/**
 * Parses `--allowed-hosts`: a comma list of host names (no ports), or `*`.
 * An entry with a scheme, port or path is an error naming it.
 */
export function parseAllowedHosts(text: string): string[] {
  return text
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "")
    .map((entry) => {
      if (entry === "*" || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry)) return entry.replace(/\.$/, "");
      throw new Error(`--allowed-hosts: ${JSON.stringify(entry)} is not a host name (e.g. raftkv.internal, no scheme or port), or * for any`);
    });
}

/** `Example.com:8080` → `example.com`, `[::1]:80` → `::1`; undefined when malformed. */
function hostnameOf(host: string): string | undefined {
  const text = host.trim().toLowerCase();
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    return end < 0 ? undefined : text.slice(1, end);
  }
  const colon = text.indexOf(":");
  const name = (colon < 0 ? text : text.slice(0, colon)).replace(/\.$/, "");
  return name === "" ? undefined : name;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
