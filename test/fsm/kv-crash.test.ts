import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { runUntilReadyThenKill } from "../support/crash-child.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { bytes, putEntry, text } from "./commands.ts";

let dir: string;

beforeEach(() => {
  dir = tempDir("fsm-crash");
});

afterEach(() => {
  removeDir(dir);
});

test("a state machine killed (SIGKILL) while applying reopens at a consistent applied index", async () => {
  const path = join(dir, "kv.db");
  await runUntilReadyThenKill(join(import.meta.dir, "fixtures", "apply-forever.ts"), [path]);
  const fsm = KvStateMachine.open(path);
  try {
    const applied = fsm.appliedIndex();
    expect(applied).toBeGreaterThan(5000);
    expect(applied % 64).toBe(0);
    // The batch that wrote the applied index also wrote `last`: data and position agree.
    expect(text(fsm.get(bytes("last"))?.value)).toBe(String(applied));
    expect(fsm.get(bytes("k-0"))?.version).toBeGreaterThan(0);
    // Replay from the applied index goes on without a gap.
    expect(fsm.applyBatch([putEntry(applied + 1, "after", "crash")]).map((r) => r.kind)).toEqual(["put"]);
  } finally {
    fsm.close();
  }
});
