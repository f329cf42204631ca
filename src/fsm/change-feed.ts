import type { ChangeNotice } from "./kv-types.ts";

export type ChangeListener = (notice: ChangeNotice) => void;

/**
 * The live side of history: listeners hear each committed batch's events
 * synchronously, in registration order. A listener that throws is a bug in
 * that listener; it must not fail the apply (already committed) nor starve
 * the other listeners, so its error goes to `reportError` and delivery goes on.
 */
export class ChangeFeed {
  readonly #listeners = new Set<{ readonly listener: ChangeListener }>();
  readonly #reportError: (err: unknown) => void;

  constructor(reportError: (err: unknown) => void) {
    this.#reportError = reportError;
  }

  /** Returns the unsubscribe function; the same function may be subscribed twice and hears twice. */
  subscribe(listener: ChangeListener): () => void {
    const handle = { listener };
    this.#listeners.add(handle);
    return () => {
      this.#listeners.delete(handle);
    };
  }

  publish(notice: ChangeNotice): void {
    for (const { listener } of [...this.#listeners]) {
      try {
        listener(notice);
      } catch (err) {
        this.#reportError(err);
      }
    }
  }
}
