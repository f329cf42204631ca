import type { KvTarget, RangePage, ReadLevel, StoredPair } from "../../src/bench/index.ts";
import { compareKeys } from "../../src/fsm/key-range.ts";

const decoder = new TextDecoder();

/**
 * An in-memory KvTarget for testing the load generator without a server.
 * `dropWritesTo` makes it acknowledge writes to one key without storing them
 * (a store that loses acknowledged writes); `failEvery` fails every n-th put.
 */
export class MemoryKvTarget implements KvTarget {
  readonly system = "raftkv";
  readonly stored = new Map<string, StoredPair>();
  private puts = 0;
  private revisionCounter = 0;

  constructor(private readonly faults: { dropWritesTo?: string; failEvery?: number } = {}) {}

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await Promise.resolve();
    this.puts++;
    if (this.faults.failEvery !== undefined && this.puts % this.faults.failEvery === 0) {
      throw new Error("injected failure");
    }
    const text = decoder.decode(key);
    if (text === this.faults.dropWritesTo) return;
    this.revisionCounter++;
    this.stored.set(text, { key, value });
  }

  async get(key: Uint8Array, _read: ReadLevel): Promise<Uint8Array | undefined> {
    await Promise.resolve();
    return this.stored.get(decoder.decode(key))?.value;
  }

  async range(start: Uint8Array, end: Uint8Array, limit: number, _read: ReadLevel): Promise<RangePage> {
    await Promise.resolve();
    const all = [...this.stored.values()]
      .filter((p) => compareKeys(p.key, start) >= 0 && compareKeys(p.key, end) < 0)
      .sort((a, b) => compareKeys(a.key, b.key));
    return { pairs: all.slice(0, limit), more: all.length > limit };
  }

  async revision(): Promise<number> {
    return this.revisionCounter;
  }

  close(): void {}
}
