/** A pending timer; cancelling one that already fired does nothing. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time, timers and randomness as the engine sees them. Injected so that the
 * whole engine runs under the simulator's virtual clock with seeded
 * randomness (test/sim/node/), and under the real clock in a node.
 */
export interface Scheduler {
  /** Monotonic milliseconds. */
  now(): number;
  /** Runs `fn` once, after `ms`. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Runs `fn` every `ms`. */
  every(ms: number, fn: () => void): TimerHandle;
  /**
   * Runs `fn` on the next turn of the loop, after the I/O already queued:
   * everything that arrives in one turn is handled by one run (group commit).
   */
  soon(fn: () => void): void;
  sleep(ms: number): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

/** The process's clock, timers and Math.random. */
export const systemScheduler: Scheduler = {
  now: () => performance.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timer) };
  },
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    return { cancel: () => clearInterval(timer) };
  },
  soon(fn) {
    setImmediate(fn);
  },
  sleep: (ms) => Bun.sleep(ms),
  random: () => Math.random(),
};
