import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A new empty directory under the system's temp dir, named `raftkv-<prefix>-XXXXXX` so a leftover says which test made it. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `raftkv-${prefix}-`));
}

/** Removes a directory and everything in it; nothing happens if it is already gone. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
