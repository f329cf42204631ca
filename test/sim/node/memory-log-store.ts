import type { LogStore, PersistBatch, SnapshotRecord } from "../../../src/engine/log-store.ts";
import type { Entry } from "../../../src/raft/entry.ts";
import { emptyHardState, type HardState } from "../../../src/raft/hard-state.ts";
import { isStorableTerm } from "../../../src/raft/term-limit.ts";
import type { Fence } from "./sim-crash.ts";

/** What survives a crash of raft.db: everything a returned write put there (synchronous=FULL). */
export class DurableLog {
  entries: Entry[] = [];
  compactedIndex = 0;
  compactedTerm = 0;
  hardState: HardState = emptyHardState;
  records: SnapshotRecord[] = [];
  readonly meta = new Map<string, Uint8Array>();
}

/**
 * raft.db in memory, with raft.db's contract: a write is durable once it
 * returns, all or nothing. A crash inside persist (the failpoint
 * log.persist.before-commit) leaves nothing of it, as an uncommitted SQLite
 * transaction leaves nothing.
 */
export class MemoryLogStore implements LogStore {
  constructor(
    private readonly disk: DurableLog,
    private readonly fence: Fence,
    private readonly beforeCommit: () => void,
    /** Throws to model a failing disk (an I/O error on write). */
    private readonly writeFault: () => void,
  ) {}

  firstIndex(): number {
    return this.disk.compactedIndex + 1;
  }

  lastIndex(): number {
    const last = this.disk.entries[this.disk.entries.length - 1];
    return last?.index ?? this.disk.compactedIndex;
  }

  lastTerm(): number {
    const last = this.disk.entries[this.disk.entries.length - 1];
    return last?.term ?? this.disk.compactedTerm;
  }

  compactedIndex(): number {
    return this.disk.compactedIndex;
  }

  compactedTerm(): number {
    return this.disk.compactedTerm;
  }

  term(index: number): number | undefined {
    if (index === this.disk.compactedIndex) return this.disk.compactedTerm;
    return this.disk.entries[index - this.disk.compactedIndex - 1]?.term;
  }

  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    this.fence.check("log read");
    if (lo <= this.disk.compactedIndex) throw new Error(`entries [${lo}, ${hi}): compacted through ${this.disk.compactedIndex}`);
    if (hi > this.lastIndex() + 1) throw new Error(`entries [${lo}, ${hi}): the log ends at ${this.lastIndex()}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.disk.entries[i - this.disk.compactedIndex - 1] as Entry;
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  hardState(): HardState {
    return this.disk.hardState;
  }

  persist(batch: PersistBatch): void {
    this.fence.check("persist");
    const entries = batch.entries ?? [];
    if (entries.length === 0 && batch.hardState === undefined && (batch.meta === undefined || batch.meta.size === 0)) return;
    this.writeFault();
    if (batch.hardState !== undefined && batch.hardState.term < this.disk.hardState.term) {
      throw new Error(`hard state term must not decrease: ${this.disk.hardState.term} -> ${batch.hardState.term}`);
    }
    // raft.db's contract: a term past the bound is never stored (the simulator would see the engine stop).
    if (batch.hardState !== undefined && !isStorableTerm(batch.hardState.term)) throw new Error(`hard state term ${batch.hardState.term} is not storable`);
    for (const e of entries) if (!isStorableTerm(e.term)) throw new Error(`entry ${e.index} has term ${e.term}, which is not storable`);
    const first = entries[0];
    let kept = this.disk.entries;
    if (first !== undefined) {
      if (first.index > this.lastIndex() + 1) throw new Error(`append at ${first.index}: the log ends at ${this.lastIndex()} (gap)`);
      const fresh = entries.filter((e) => e.index > this.disk.compactedIndex);
      const from = fresh[0]?.index;
      if (from !== undefined) kept = this.disk.entries.slice(0, from - this.disk.compactedIndex - 1).concat(fresh);
    }
    this.beforeCommit();
    this.fence.check("persist commit");
    this.disk.entries = kept;
    if (batch.hardState !== undefined) this.disk.hardState = batch.hardState;
    if (batch.meta !== undefined) for (const [k, v] of batch.meta) this.disk.meta.set(k, v);
  }

  compactPrefix(throughIndex: number, throughTerm: number): void {
    this.fence.check("compact");
    if (throughIndex <= this.disk.compactedIndex) return;
    if (this.term(throughIndex) !== throughTerm)
      throw new Error(`compact through ${throughIndex}: term ${String(this.term(throughIndex))}, not ${throughTerm}`);
    this.disk.entries = this.disk.entries.slice(throughIndex - this.disk.compactedIndex);
    this.disk.compactedIndex = throughIndex;
    this.disk.compactedTerm = throughTerm;
  }

  installSnapshot(record: SnapshotRecord, hardState: HardState): void {
    this.fence.check("install snapshot");
    this.writeFault();
    if (record.index < this.disk.compactedIndex) throw new Error(`snapshot ${record.index} below the compacted index ${this.disk.compactedIndex}`);
    const keep = this.term(record.index) === record.term;
    this.disk.entries = keep ? this.disk.entries.slice(record.index - this.disk.compactedIndex) : [];
    this.disk.compactedIndex = record.index;
    this.disk.compactedTerm = record.term;
    this.addRecord(record);
    this.disk.hardState = hardState;
  }

  recordSnapshot(record: SnapshotRecord): void {
    this.fence.check("record snapshot");
    this.addRecord(record);
  }

  snapshotRecords(): SnapshotRecord[] {
    return this.disk.records.slice().sort((a, b) => b.index - a.index || b.term - a.term);
  }

  getMeta(key: string): Uint8Array | undefined {
    return this.disk.meta.get(key);
  }

  setMeta(key: string, value: Uint8Array): void {
    this.fence.check("set meta");
    this.disk.meta.set(key, value);
  }

  private addRecord(record: SnapshotRecord): void {
    if (!this.disk.records.some((r) => r.index === record.index && r.term === record.term)) this.disk.records.push({ ...record });
    this.disk.records = this.snapshotRecords().slice(0, 16);
  }
}
