import type { Entry } from "../../src/raft/entry.ts";
import type { Membership } from "../../src/raft/membership.ts";
import { decodeMembership } from "../../src/raft/membership-codec.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A client write as carried in a log entry. */
export interface WriteCommand {
  readonly key: string;
  readonly value: string;
}

export function encodeWrite(command: WriteCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

function decodeWrite(entry: Entry): WriteCommand {
  const parsed = JSON.parse(decoder.decode(entry.data)) as WriteCommand;
  return parsed;
}

/** The simulated state machine: a key -> value register store. */
export class RegisterFsm {
  values = new Map<string, string>();
  applied = 0;
  /** Configuration as of `applied` (goes into snapshots). */
  membership: Membership = { members: [], index: 0 };

  apply(entry: Entry): void {
    if (entry.index !== this.applied + 1) {
      throw new Error(`fsm: applying ${entry.index} after ${this.applied} (out of order or twice)`);
    }
    this.applied = entry.index;
    switch (entry.kind) {
      case "normal": {
        const cmd = decodeWrite(entry);
        this.values.set(cmd.key, cmd.value);
        return;
      }
      case "config":
        this.membership = decodeMembership(entry);
        return;
      case "noop":
        return;
      default: {
        const unreachable: never = entry.kind;
        throw new Error(`fsm: unknown entry kind ${String(unreachable)}`);
      }
    }
  }

  encode(): Uint8Array {
    return encoder.encode(JSON.stringify({ values: [...this.values], applied: this.applied, membership: this.membership }));
  }

  static decode(bytes: Uint8Array): RegisterFsm {
    const fsm = new RegisterFsm();
    if (bytes.length === 0) return fsm;
    const parsed = JSON.parse(decoder.decode(bytes)) as { values: [string, string][]; applied: number; membership: Membership };
    fsm.values = new Map(parsed.values);
    fsm.applied = parsed.applied;
    fsm.membership = parsed.membership;
    return fsm;
  }
}
