/**
 * What a role may do on a key prefix: `write` implies `read`; `admin` implies
 * both and the operations that are not about keys (membership, compaction,
 * lease revocation).
 */
export type Permission = "read" | "write" | "admin";

export const permissions: readonly Permission[] = ["read", "write", "admin"];

export function isPermission(text: string): text is Permission {
  return (permissions as readonly string[]).includes(text);
}

/** One grant of a role: `permission` on every key that starts with `prefix` (empty: every key). */
export interface KeyGrant {
  readonly prefix: Uint8Array;
  readonly permission: Permission;
}
