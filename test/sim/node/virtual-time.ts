import type { Scheduler, TimerHandle } from "../../../src/engine/scheduler.ts";
import { EventQueue } from "../event-queue.ts";
import type { Prng } from "../prng.ts";

interface Timed {
  readonly owner: NodeClock | undefined;
  readonly run: () => void;
  cancelled: boolean;
}

/**
 * The simulator's one clock: a queue of callbacks in (virtual time,
 * insertion) order. `runNext` runs one callback and then lets every
 * promise continuation it caused settle before the next one, as the event
 * loop does between macrotasks, so the engine's async code interleaves the
 * same way in every replay of a seed.
 */
export class VirtualTime {
  private readonly queue = new EventQueue<Timed>();
  now = 0;

  schedule(at: number, owner: NodeClock | undefined, run: () => void): Timed {
    const timed: Timed = { owner, run, cancelled: false };
    this.queue.push(Math.max(at, this.now), timed);
    return timed;
  }

  /** Runs every callback due up to `until` (inclusive), advancing `now` as it goes. */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      const next = this.queue.peekTime();
      if (next === undefined || next > until) break;
      this.now = next;
      for (const timed of this.queue.popDue(next)) {
        if (timed.cancelled) continue;
        if (timed.owner?.paused === true) {
          timed.owner.hold(timed);
          continue;
        }
        timed.run();
        // A macrotask boundary: every microtask the callback queued (and theirs) runs now.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    this.now = until;
  }
}

/**
 * One node incarnation's view of time: the engine's Scheduler. Its clock
 * may run at a slightly different rate (drift); while paused its timers
 * wait (as in a stopped process) and run in a burst when it resumes; when
 * its node crashes, all of them are cancelled.
 */
export class NodeClock implements Scheduler {
  paused = false;
  private dead = false;
  private readonly held: Timed[] = [];
  private readonly timers = new Set<Timed>();
  private readonly startedAt: number;

  constructor(
    private readonly time: VirtualTime,
    private readonly rng: Prng,
    /** Local milliseconds per virtual millisecond (1 = no drift). */
    private readonly rate: number,
  ) {
    this.startedAt = time.now;
  }

  now(): number {
    return this.startedAt + (this.time.now - this.startedAt) * this.rate;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timed = this.add(ms, () => {
      this.timers.delete(timed);
      fn();
    });
    return this.handle(timed);
  }

  every(ms: number, fn: () => void): TimerHandle {
    const period = Math.max(1, ms);
    let current: Timed | undefined;
    const arm = (): void => {
      current = this.add(period, () => {
        if (current !== undefined) this.timers.delete(current);
        arm();
        fn();
      });
    };
    arm();
    return {
      cancel: () => {
        if (current === undefined) return;
        current.cancelled = true;
        this.timers.delete(current);
      },
    };
  }

  soon(fn: () => void): void {
    const timed = this.add(0, () => {
      this.timers.delete(timed);
      fn();
    });
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  random(): number {
    return this.rng.next();
  }

  /** Runs `fn` as this node would handle an event from outside (a message, a client call). */
  deliver(fn: () => void): void {
    const timed = this.add(0, () => {
      this.timers.delete(timed);
      fn();
    });
  }

  hold(timed: Timed): void {
    if (!this.dead) this.held.push(timed);
  }

  /** A stopped process continues: everything that came due meanwhile runs at once, in order. */
  resume(): void {
    this.paused = false;
    const due = this.held.splice(0);
    for (const timed of due) if (!timed.cancelled) this.time.schedule(this.time.now, this, timed.run);
  }

  /** The process is gone: nothing it scheduled runs. */
  kill(): void {
    this.dead = true;
    for (const timed of this.timers) timed.cancelled = true;
    this.timers.clear();
    for (const timed of this.held) timed.cancelled = true;
    this.held.length = 0;
  }

  get killed(): boolean {
    return this.dead;
  }

  private add(localMs: number, run: () => void): Timed {
    const timed = this.time.schedule(this.time.now + Math.max(0, localMs) / this.rate, this, () => {
      if (!this.dead) run();
    });
    if (this.dead) timed.cancelled = true;
    else this.timers.add(timed);
    return timed;
  }

  private handle(timed: Timed): TimerHandle {
    return {
      cancel: () => {
        timed.cancelled = true;
        this.timers.delete(timed);
      },
    };
  }
}
