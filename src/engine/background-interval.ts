/**
 * A background job run every `intervalMs` between start() and stop(): the
 * quota guard, space reclaiming, history compaction and the lease keeper.
 * Its timer never keeps a process alive on its own, and starting it twice
 * runs it once.
 */
export class BackgroundInterval {
  #timer: Timer | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => void,
  ) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(this.run, this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
