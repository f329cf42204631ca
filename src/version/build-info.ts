import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import packageJson from "../../package.json" with { type: "json" };

/** Set by `npm run build` (bun build --define); absent when running from source. */
declare const RAFTKV_GIT_COMMIT: string | undefined;

export interface BuildInfo {
  readonly version: string;
  /** Short commit hash the executable (or the source tree) was built from; "unknown" outside a git checkout. */
  readonly gitCommit: string;
  readonly bunVersion: string;
}

let cached: BuildInfo | undefined;

/** What `raftkv version`, Cluster.Status and raftkv_build_info report. Computed once per process. */
export function buildInfo(): BuildInfo {
  cached ??= { version: packageJson.version, gitCommit: embeddedCommit() ?? sourceCommit() ?? "unknown", bunVersion: Bun.version };
  return cached;
}

function embeddedCommit(): string | undefined {
  return typeof RAFTKV_GIT_COMMIT === "string" && RAFTKV_GIT_COMMIT !== "" ? RAFTKV_GIT_COMMIT : undefined;
}

/** Running from source: ask git about the tree this file is in (once; a missing git is not an error). */
function sourceCommit(): string | undefined {
  try {
    const result = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: dirname(import.meta.path), encoding: "utf8", timeout: 2000 });
    const commit = result.status === 0 ? result.stdout.trim() : "";
    return /^[0-9a-f]{7,40}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}
