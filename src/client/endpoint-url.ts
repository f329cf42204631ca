/** `127.0.0.1:40051` or `http://127.0.0.1:40051` → a base URL (no trailing slash). */
export function baseUrlOf(endpoint: string): string {
  return /^https?:\/\//.test(endpoint) ? endpoint.replace(/\/+$/, "") : `http://${endpoint}`;
}

/** The `host:port` part, so `http://a:1` and `a:1` name the same node. */
export function hostPortOf(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, "").replace(/\/+$/, "");
}
