/**
 * Set to "true" on an UNAVAILABLE answer to a write that provably never
 * entered any Raft log, so a client may send it to another node (the
 * client's WRITE_NOT_PROPOSED_HEADER names the same header).
 */
export const NOT_PROPOSED_HEADER = "raftkv-write-not-proposed";

/** Error metadata marking a refusal made before the write entered any log. */
export function notProposedMetadata(): Headers {
  return new Headers({ [NOT_PROPOSED_HEADER]: "true" });
}
