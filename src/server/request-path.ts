/** The path of a request URL without its query string, as routes match it. */
export function pathOf(req: { readonly url?: string }): string {
  const url = req.url ?? "";
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}
