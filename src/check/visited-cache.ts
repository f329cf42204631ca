import type { LinearizedSet } from "./linearized-set.ts";
import type { LaneSnapshot } from "./membership-lane.ts";

/** Configurations sharing completed operations and state; they differ in ambiguous operations. */
interface VisitedGroup {
  readonly stateKey: string;
  readonly definite: LaneSnapshot;
  readonly ambiguous: LaneSnapshot[];
}

/**
 * Remembers every search configuration entered: (linearized set, model
 * state), and prunes a configuration that is no more promising than one
 * already entered.
 *
 * Same completed operations, same state, and a superset of
 * the ambiguous operations of an entered configuration: every completion of
 * the new one is a completion of the old one (which may simply leave those
 * extra ambiguous operations out: they need never take effect), and the old
 * one is explored, or being explored, to the end. Equal sets are the
 * ordinary memoization of Lowe's and Porcupine's searches; the inclusion
 * collapses the 2^k orders of k pending ambiguous operations that would
 * otherwise be tried at every dead end.
 *
 * Groups are verified exactly: a hash collision never prunes wrongly.
 */
export class VisitedCache {
  private readonly buckets = new Map<number, VisitedGroup[]>();

  /** Records the configuration; false when it is subsumed by one already entered. */
  addIfAbsent(linearized: LinearizedSet, stateKey: string): boolean {
    const hash = linearized.definiteHash();
    let bucket = this.buckets.get(hash);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(hash, bucket);
    }
    let group: VisitedGroup | undefined;
    for (const candidate of bucket) {
      if (candidate.stateKey === stateKey && linearized.definiteEquals(candidate.definite)) {
        group = candidate;
        break;
      }
    }
    if (group === undefined) {
      bucket.push({ stateKey, definite: linearized.definiteSnapshot(), ambiguous: [linearized.ambiguousSnapshot()] });
      return true;
    }
    for (const entered of group.ambiguous) {
      if (linearized.ambiguousIncludes(entered)) return false;
    }
    group.ambiguous.push(linearized.ambiguousSnapshot());
    return true;
  }
}
