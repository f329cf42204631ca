/**
 * One status line on stderr that rewrites itself (\r) while a long command
 * runs, at most every `everyMs`; only on a terminal, so pipes and logs get
 * no control characters. `done` ends it with a newline.
 */
export class ProgressLine {
  #lastAt = 0;
  #shown = false;
  readonly #enabled: boolean;

  constructor(
    private readonly everyMs = 100,
    stream: { readonly isTTY?: boolean } = process.stderr,
  ) {
    this.#enabled = stream.isTTY === true;
  }

  update(text: string, force = false): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!force && now - this.#lastAt < this.everyMs) return;
    this.#lastAt = now;
    this.#shown = true;
    process.stderr.write(`\r\u001b[2K${text}`);
  }

  done(): void {
    if (this.#shown) process.stderr.write("\n");
    this.#shown = false;
  }
}
