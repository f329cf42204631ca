import type { Scheduler } from "../../../src/engine/scheduler.ts";
import type { StateMachine, StateMachineCopy } from "../../../src/engine/state-machine.ts";
import type { Entry } from "../../../src/raft/entry.ts";
import { type DurableFiles, sha256 } from "./memory-snapshot-files.ts";
import type { Fence } from "./sim-crash.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A client write as carried in a log entry. */
export interface RegisterWrite {
  readonly key: string;
  readonly value: string;
}

export function encodeRegisterWrite(write: RegisterWrite): Uint8Array {
  return encoder.encode(JSON.stringify(write));
}

/** What applying one entry answers its proposer. */
export type RegisterResult = { readonly kind: "put"; readonly index: number } | { readonly kind: "none"; readonly index: number };

/** One state of the register store, as kv.db would hold it. */
export interface RegisterState {
  readonly values: ReadonlyMap<string, string>;
  readonly applied: number;
  readonly appliedTerm: number;
  readonly config: Entry | undefined;
}

const emptyState: RegisterState = { values: new Map(), applied: 0, appliedTerm: 0, config: undefined };

/**
 * kv.db as a crash leaves it. `written` is what a process crash keeps (the
 * OS has it), `synced` what a power loss keeps (synchronous=NORMAL: the WAL
 * is fsynced at checkpoints, not at each commit).
 */
export class DurableRegister {
  written: RegisterState = emptyState;
  synced: RegisterState = emptyState;
}

function encodeState(state: RegisterState): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      values: [...state.values],
      applied: state.applied,
      appliedTerm: state.appliedTerm,
      config: state.config === undefined ? null : { index: state.config.index, term: state.config.term, data: decoder.decode(state.config.data) },
    }),
  );
}

function decodeState(bytes: Uint8Array): RegisterState {
  const raw = JSON.parse(decoder.decode(bytes)) as {
    values: [string, string][];
    applied: number;
    appliedTerm: number;
    config: { index: number; term: number; data: string } | null;
  };
  return {
    values: new Map(raw.values),
    applied: raw.applied,
    appliedTerm: raw.appliedTerm,
    config: raw.config === null ? undefined : { index: raw.config.index, term: raw.config.term, kind: "config", data: encoder.encode(raw.config.data) },
  };
}

/**
 * The simulator's state machine: a register per key, with kv.db's
 * durability (see DurableRegister), a snapshot copy that takes a while
 * (applies go on meanwhile, as with the copy Worker) and an atomic restore.
 */
export class RegisterMachine implements StateMachine<RegisterResult> {
  constructor(
    private readonly disk: DurableRegister,
    private readonly files: DurableFiles,
    private readonly fence: Fence,
    private readonly clock: Scheduler,
    private readonly onApplied: (entry: Entry) => void,
    private readonly midRestore: () => void,
  ) {}

  get values(): ReadonlyMap<string, string> {
    return this.disk.written.values;
  }

  appliedIndex(): number {
    return this.disk.written.applied;
  }

  /** A checkpoint: what was written so far survives a power loss. */
  sync(): void {
    if (!this.fence.isDown) this.disk.synced = this.disk.written;
  }

  applyBatch(entries: readonly Entry[]): RegisterResult[] {
    this.fence.check("apply");
    const state = this.disk.written;
    const values = new Map(state.values);
    let { applied, appliedTerm, config } = state;
    const results: RegisterResult[] = [];
    for (const entry of entries) {
      if (entry.index <= applied) continue;
      if (entry.index !== applied + 1) throw new Error(`apply ${entry.index} after ${applied}: out of order`);
      applied = entry.index;
      appliedTerm = entry.term;
      switch (entry.kind) {
        case "normal": {
          const write = JSON.parse(decoder.decode(entry.data)) as RegisterWrite;
          values.set(write.key, write.value);
          results.push({ kind: "put", index: entry.index });
          break;
        }
        case "config":
          config = entry;
          results.push({ kind: "none", index: entry.index });
          break;
        case "noop":
          results.push({ kind: "none", index: entry.index });
          break;
        default: {
          const unreachable: never = entry.kind;
          throw new Error(`unknown entry kind ${String(unreachable)}`);
        }
      }
    }
    this.disk.written = { values, applied, appliedTerm, config };
    for (const entry of entries) if (entry.index > state.applied) this.onApplied(entry);
    return results;
  }

  async snapshotTo(location: string): Promise<StateMachineCopy> {
    this.fence.check("snapshot copy");
    const state = this.disk.written;
    const bytes = encodeState(state);
    // The copy runs beside the applies, as the Worker's does.
    await this.clock.sleep(1 + Math.floor(this.clock.random() * 30));
    this.fence.check("snapshot copy done");
    this.files.data.set(location, bytes);
    return {
      index: state.applied,
      term: state.appliedTerm,
      ...(state.config === undefined ? {} : { config: state.config }),
      file: { size: bytes.length, checksum: sha256(bytes) },
    };
  }

  restoreFrom(location: string): void {
    this.fence.check("restore");
    const bytes = this.files.data.get(location);
    if (bytes === undefined) throw new Error(`restore from ${location}: no such file`);
    const state = decodeState(bytes);
    this.midRestore();
    this.fence.check("restore commit");
    // The copy is fsynced and renamed into place: durable against power loss too.
    this.disk.written = state;
    this.disk.synced = state;
  }
}
