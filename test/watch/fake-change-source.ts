import { compareKeys } from "../../src/fsm/key-range.ts";
import type { ChangeEvent, ChangeNotice, HistoryPage, StoredKv } from "../../src/fsm/kv-types.ts";
import type { ChangeSource, HistoryRange } from "../../src/service/watch/watch-source.ts";

const encoder = new TextEncoder();

/** An in-memory change feed with per-key history, standing in for KvStateMachine in hub tests. */
export class FakeChangeSource implements ChangeSource {
  readonly history: ChangeEvent[] = [];
  readonly state = new Map<string, StoredKv>();
  #applied = 0;
  #compact = 1;
  #listeners = new Set<(notice: ChangeNotice) => void>();

  onChange(listener: (notice: ChangeNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Applies one batch: one entry per write, each a put (string value) or a delete (null). */
  apply(writes: ReadonlyArray<readonly [string, string | null]>): number {
    const events: ChangeEvent[] = [];
    for (const [keyText, valueText] of writes) {
      const index = ++this.#applied;
      const key = encoder.encode(keyText);
      const prev = this.state.get(keyText);
      if (valueText === null) {
        if (prev === undefined) continue;
        this.state.delete(keyText);
        events.push({ type: "delete", kv: { key, value: new Uint8Array(0), createIndex: 0, modIndex: index, version: 0, lease: 0 } });
      } else {
        const kv: StoredKv = {
          key,
          value: encoder.encode(valueText),
          createIndex: prev?.createIndex ?? index,
          modIndex: index,
          version: (prev?.version ?? 0) + 1,
          lease: 0,
        };
        this.state.set(keyText, kv);
        events.push({ type: "put", kv });
      }
    }
    this.history.push(...events);
    this.#notify({ kind: "applied", index: this.#applied, events });
    return this.#applied;
  }

  restore(index: number): void {
    this.#applied = index;
    this.#notify({ kind: "restored", index });
  }

  compact(index: number): void {
    this.#compact = index;
  }

  historySince(fromIndex: number, range: HistoryRange, limit: number): HistoryPage {
    if (fromIndex < this.#compact) return { kind: "compacted", compactIndex: this.#compact };
    const matching = this.history.filter((e) => e.kv.modIndex >= fromIndex && inRange(e.kv.key, range));
    return { kind: "events", events: matching.slice(0, limit), more: matching.length > limit };
  }

  compactIndex(): number {
    return this.#compact;
  }

  previousRevision(key: Uint8Array, beforeIndex: number): StoredKv | undefined {
    const last = this.history.findLast((e) => e.kv.modIndex < beforeIndex && compareKeys(e.kv.key, key) === 0);
    return last?.type === "put" ? last.kv : undefined;
  }

  appliedIndex(): number {
    return this.#applied;
  }

  #notify(notice: ChangeNotice): void {
    for (const listener of this.#listeners) listener(notice);
  }
}

function inRange(key: Uint8Array, range: HistoryRange): boolean {
  if (compareKeys(key, range.start) < 0) return false;
  if (range.end === undefined) return true;
  if (range.end.length === 0) return compareKeys(key, range.start) === 0;
  return compareKeys(key, range.end) < 0;
}
