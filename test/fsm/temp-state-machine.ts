import { join } from "node:path";
import { KvStateMachine, type KvStateMachineOptions } from "../../src/fsm/kv-state-machine.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

/** A state machine on a real SQLite file in its own temp dir; close() removes the dir. */
export class TempStateMachine {
  readonly dir: string;
  readonly path: string;
  fsm: KvStateMachine;

  constructor(options: KvStateMachineOptions = {}) {
    this.dir = tempDir("fsm");
    this.path = join(this.dir, "kv.db");
    this.fsm = KvStateMachine.open(this.path, options);
  }

  reopen(): KvStateMachine {
    this.fsm.close();
    this.fsm = KvStateMachine.open(this.path);
    return this.fsm;
  }

  close(): void {
    this.fsm.close();
    removeDir(this.dir);
  }
}
