/**
 * A Raft log entry. Shared by the pure core (src/raft), the log store
 * (src/storage) and the engine. `data` is opaque to the core except for
 * "config" entries, whose payload the core itself encodes (see membership.ts).
 */
export type EntryKind = "normal" | "config" | "noop";

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array;
}

/** Stable numeric codes for storing an entry's kind; never renumber. */
export const entryKindCode: Readonly<Record<EntryKind, number>> = {
  normal: 0,
  config: 1,
  noop: 2,
};

export function entryKindFromCode(code: number): EntryKind {
  switch (code) {
    case 0:
      return "normal";
    case 1:
      return "config";
    case 2:
      return "noop";
    default:
      throw new Error(`unknown entry kind code ${code}`);
  }
}
