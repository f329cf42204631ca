import { type LaneSnapshot, MembershipLane } from "./membership-lane.ts";

/**
 * The set of operations linearized so far on the current search path.
 *
 * Operation indexes [0, definiteCount) are the completed operations in call
 * order; [definiteCount, size) the ambiguous ones in call order. They live in
 * separate lanes because they are compared differently by the visited cache
 * (exactly for completed operations, by inclusion for ambiguous ones), and
 * because an ambiguous operation that never took effect stays out of the set
 * forever: in a shared lane it would pin the snapshot window open from its
 * index to the end of the history.
 *
 * The completed lane carries an incrementally maintained Zobrist hash, so
 * looking a configuration up costs O(1) rather than O(n/32).
 *
 * Adds and removes must be LIFO, as the depth-first search makes them.
 */
export class LinearizedSet {
  private readonly definite: MembershipLane;
  private readonly ambiguous: MembershipLane;
  private readonly zobristHigh: Uint32Array;
  private readonly zobristLow: Uint32Array;
  private hashHigh = 0;
  private hashLow = 0;

  constructor(
    readonly size: number,
    private readonly definiteCount: number,
  ) {
    this.definite = new MembershipLane(definiteCount);
    this.ambiguous = new MembershipLane(size - definiteCount);
    this.zobristHigh = new Uint32Array(definiteCount);
    this.zobristLow = new Uint32Array(definiteCount);
    // A fixed-seed generator keeps the search deterministic run to run.
    let seed = 0x9e3779b9;
    const next = (): number => {
      // xorshift32: fast, and uniform enough for hashing.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    for (let i = 0; i < definiteCount; i++) {
      this.zobristHigh[i] = next();
      this.zobristLow[i] = next();
    }
  }

  has(index: number): boolean {
    return index < this.definiteCount ? this.definite.has(index) : this.ambiguous.has(index - this.definiteCount);
  }

  /** The lowest completed operation not in the set (definiteCount if none). */
  get lowestAbsentDefinite(): number {
    return this.definite.lowestAbsent;
  }

  /** The lowest ambiguous operation not in the set (size if none). */
  get lowestAbsentAmbiguous(): number {
    return this.definiteCount + this.ambiguous.lowestAbsent;
  }

  add(index: number): void {
    if (index < this.definiteCount) {
      this.definite.add(index);
      this.flipHash(index);
    } else {
      this.ambiguous.add(index - this.definiteCount);
    }
  }

  /** Removes `index`, which must be the most recently added member. */
  remove(index: number): void {
    if (index < this.definiteCount) {
      this.definite.remove(index);
      this.flipHash(index);
    } else {
      this.ambiguous.remove(index - this.definiteCount);
    }
  }

  /** A 53-bit hash of the completed lane, exact as a JS number, to key a Map. */
  definiteHash(): number {
    return (this.hashHigh & 0x1fffff) * 0x100000000 + this.hashLow;
  }

  definiteSnapshot(): LaneSnapshot {
    return this.definite.snapshot();
  }

  ambiguousSnapshot(): LaneSnapshot {
    return this.ambiguous.snapshot();
  }

  definiteEquals(snapshot: LaneSnapshot): boolean {
    return this.definite.equals(snapshot);
  }

  /** Whether every ambiguous operation in `snapshot` is in this set. */
  ambiguousIncludes(snapshot: LaneSnapshot): boolean {
    return this.ambiguous.includes(snapshot);
  }

  private flipHash(index: number): void {
    this.hashHigh = (this.hashHigh ^ (this.zobristHigh[index] ?? 0)) >>> 0;
    this.hashLow = (this.hashLow ^ (this.zobristLow[index] ?? 0)) >>> 0;
  }
}
