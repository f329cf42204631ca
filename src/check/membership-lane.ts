/**
 * A bitset over a range of operations numbered in call order, tracking the
 * window that a canonical snapshot needs: every index below `low` is a
 * member and `low` is not; nothing above `high` is a member. During a search
 * the window is about as wide as the history's concurrency, so snapshots of
 * it stay small however long the history is.
 *
 * Adds and removes must be LIFO (as a depth-first search makes them): the
 * bounds are restored from a stack on remove.
 */
export class MembershipLane {
  private readonly words: Uint32Array;
  private low = 0;
  private high = -1;
  private readonly savedBounds: number[] = [];

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  /** The lowest index that is not a member. */
  get lowestAbsent(): number {
    return this.low;
  }

  has(index: number): boolean {
    return (((this.words[index >>> 5] ?? 0) >>> (index & 31)) & 1) === 1;
  }

  add(index: number): void {
    this.flip(index);
    this.savedBounds.push(this.low, this.high);
    if (index > this.high) this.high = index;
    if (index === this.low) {
      let low = index + 1;
      while (low < this.size && this.has(low)) low++;
      this.low = low;
    }
  }

  /** Removes `index`, which must be the most recently added member. */
  remove(index: number): void {
    this.flip(index);
    const high = this.savedBounds.pop();
    const low = this.savedBounds.pop();
    if (high === undefined || low === undefined) throw new Error(`remove(${index}) without a matching add`);
    this.high = high;
    this.low = low;
  }

  snapshot(): LaneSnapshot {
    const first = this.low >>> 5;
    return { low: this.low, window: this.words.slice(first, first + this.windowLength()) };
  }

  equals(snapshot: LaneSnapshot): boolean {
    if (snapshot.low !== this.low) return false;
    const window = snapshot.window;
    if (window.length !== this.windowLength()) return false;
    const first = this.low >>> 5;
    for (let i = 0; i < window.length; i++) {
      if (window[i] !== this.words[first + i]) return false;
    }
    return true;
  }

  /** Whether every member of `snapshot` is a member of this lane. */
  includes(snapshot: LaneSnapshot): boolean {
    // Every index below snapshot.low is in the snapshot, so all must be here too.
    if (this.low < snapshot.low) return false;
    const first = snapshot.low >>> 5;
    const window = snapshot.window;
    for (let i = 0; i < window.length; i++) {
      const theirs = window[i] ?? 0;
      const ours = this.words[first + i] ?? 0;
      if ((theirs & ~ours) !== 0) return false;
    }
    return true;
  }

  private windowLength(): number {
    return this.high < this.low ? 0 : (this.high >>> 5) - (this.low >>> 5) + 1;
  }

  private flip(index: number): void {
    const word = index >>> 5;
    this.words[word] = (this.words[word] ?? 0) ^ (1 << (index & 31));
  }
}

/** A lane in canonical form: `low` and the words from `low`'s word to the highest member's word. */
export interface LaneSnapshot {
  readonly low: number;
  readonly window: Uint32Array;
}
