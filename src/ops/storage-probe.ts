import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../log/error-message.ts";

export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

const PROBE_FILE = ".readyz-probe";

/**
 * Whether the data dir still takes writes (a disk that filled up, a file
 * system remounted read-only): writes a small file there, at most once per
 * `everyMs` (probes in between get the last answer), so readiness checks
 * cannot load the disk whatever their rate. No fsync: an error shows at
 * write time (ENOSPC, EROFS, EIO), and the Raft log's own fsyncs stop the
 * engine on the failures that only show later.
 */
export class StorageProbe {
  #last: { atMs: number; result: ProbeResult } | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly everyMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  check(): ProbeResult {
    const now = this.now();
    if (this.#last !== undefined && now - this.#last.atMs < this.everyMs) return this.#last.result;
    const path = join(this.dataDir, PROBE_FILE);
    let result: ProbeResult;
    try {
      writeFileSync(path, "ok\n");
      result = { ok: true };
    } catch (error) {
      result = { ok: false, error: `cannot write to the data dir ${this.dataDir}: ${errorMessage(error)}` };
    }
    this.#last = { atMs: now, result };
    return result;
  }

  /** Removes the probe file (a clean stop leaves the data dir as it found it). */
  cleanUp(): void {
    rmSync(join(this.dataDir, PROBE_FILE), { force: true });
  }
}
