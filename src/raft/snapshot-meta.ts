import type { Membership } from "./membership.ts";

/** What the core knows of a snapshot: its position and the configuration at that position. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
}

export const emptySnapshotMeta: SnapshotMeta = {
  index: 0,
  term: 0,
  membership: { members: [], index: 0 },
};
