import { WatchRangeIndex } from "./watch-range-index.ts";
import type { WatchSelector } from "./watch-selector.ts";

/** Bytes as a string usable as a Map key: latin1 maps each byte to one UTF-16 unit, so it is exact and cheap. */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

/**
 * Watchers by what they watch, so that an event costs work proportional to
 * the watchers it matches rather than to all watchers:
 * - exact keys: one map lookup;
 * - prefixes: one lookup per distinct prefix length in use (a key of length L
 *   can only match prefixes of its first 0..L bytes);
 * - ranges: a stabbing query in a WatchRangeIndex.
 */
export class WatchIndex<T> {
  readonly #exact = new Map<string, Set<T>>();
  readonly #prefixes = new Map<string, Set<T>>();
  /** Watchers per prefix length; `#lengths` lists the lengths in use, ascending. */
  readonly #lengthCounts = new Map<number, number>();
  #lengths: number[] = [];
  readonly #ranges = new WatchRangeIndex<T>();

  add(item: T, selector: WatchSelector): void {
    switch (selector.kind) {
      case "key":
        addTo(this.#exact, keyString(selector.key), item);
        return;
      case "prefix": {
        addTo(this.#prefixes, keyString(selector.prefix), item);
        const length = selector.prefix.length;
        const count = this.#lengthCounts.get(length) ?? 0;
        this.#lengthCounts.set(length, count + 1);
        if (count === 0) this.#lengths = [...this.#lengthCounts.keys()].sort((a, b) => a - b);
        return;
      }
      case "range":
        this.#ranges.add(item, selector.start, selector.end);
        return;
      default: {
        const unreachable: never = selector;
        throw new Error(`unknown watch selector ${JSON.stringify(unreachable)}`);
      }
    }
  }

  remove(item: T, selector: WatchSelector): void {
    switch (selector.kind) {
      case "key":
        removeFrom(this.#exact, keyString(selector.key), item);
        return;
      case "prefix": {
        if (!removeFrom(this.#prefixes, keyString(selector.prefix), item)) return;
        const length = selector.prefix.length;
        const count = (this.#lengthCounts.get(length) ?? 1) - 1;
        if (count > 0) {
          this.#lengthCounts.set(length, count);
        } else {
          this.#lengthCounts.delete(length);
          this.#lengths = this.#lengths.filter((l) => l !== length);
        }
        return;
      }
      case "range":
        this.#ranges.remove(item);
        return;
      default: {
        const unreachable: never = selector;
        throw new Error(`unknown watch selector ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Calls `visit` once for every item whose selector matches `key`. */
  forEachMatching(key: Uint8Array, visit: (item: T) => void): void {
    const text = keyString(key);
    this.#exact.get(text)?.forEach(visit);
    for (const length of this.#lengths) {
      if (length > text.length) break;
      this.#prefixes.get(text.slice(0, length))?.forEach(visit);
    }
    this.#ranges.forEachContaining(key, visit);
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, item: T): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([item]));
  else set.add(item);
}

function removeFrom<T>(map: Map<string, Set<T>>, key: string, item: T): boolean {
  const set = map.get(key);
  if (set === undefined || !set.delete(item)) return false;
  if (set.size === 0) map.delete(key);
  return true;
}
