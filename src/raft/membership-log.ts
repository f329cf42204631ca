import type { Entry } from "./entry.ts";
import type { Membership } from "./membership.ts";
import { decodeMembership } from "./membership-codec.ts";

/**
 * The configurations present in the log, so that the latest one can take
 * effect as soon as it is appended and an earlier one can come back when a
 * conflicting suffix is truncated.
 */
export class MembershipLog {
  /** Ascending by index; history[0] is the base (snapshot or first known). */
  private history: Membership[];

  constructor(base: Membership) {
    this.history = [base];
  }

  latest(): Membership {
    return this.history[this.history.length - 1] as Membership;
  }

  /** The configuration in effect at index (the last one at or below it). */
  at(index: number): Membership {
    for (let i = this.history.length - 1; i > 0; i--) {
      const m = this.history[i] as Membership;
      if (m.index <= index) return m;
    }
    return this.history[0] as Membership;
  }

  /** Entries were written from entries[0].index on, replacing anything there. */
  onAppend(entries: readonly Entry[]): boolean {
    const first = entries[0];
    if (first === undefined) return false;
    let changed = this.truncateFrom(first.index);
    for (const e of entries) {
      if (e.kind === "config") {
        this.history.push(decodeMembership(e));
        changed = true;
      }
    }
    return changed;
  }

  private truncateFrom(index: number): boolean {
    const before = this.history.length;
    while (this.history.length > 1 && (this.history[this.history.length - 1] as Membership).index >= index) {
      this.history.pop();
    }
    return this.history.length !== before;
  }

  /** Drops configurations superseded at or below a committed index. */
  compactTo(committed: number): void {
    let keepFrom = 0;
    for (let i = 1; i < this.history.length; i++) {
      if ((this.history[i] as Membership).index <= committed) keepFrom = i;
    }
    if (keepFrom > 0) this.history = this.history.slice(keepFrom);
  }

  reset(base: Membership): void {
    this.history = [base];
  }
}
