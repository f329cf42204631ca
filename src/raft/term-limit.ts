/**
 * The largest term a node ever adopts, campaigns in or stores: 2^48, far
 * below 2^53 (where term + 1 stops being exact in a JavaScript number and
 * the peer codec refuses to encode it). A term this high is never reached by
 * elections (one per millisecond for 8,900 years), only by a forged or buggy
 * peer message; refusing it keeps one such message from stopping an engine,
 * and keeps a term nobody can go past out of every data dir.
 */
export const maxTerm = 2 ** 48;

/** Whether `term` is one a node may adopt and store. */
export function isStorableTerm(term: number): boolean {
  return Number.isSafeInteger(term) && term >= 0 && term <= maxTerm;
}
