import { statSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly os: string;
  readonly bun: string;
  readonly etcd: string;
  readonly h2load: string;
  readonly raftkv: string;
  /** When dist/raftkv was built: the binary may predate the checked-out commit. */
  readonly raftkvBuiltAt: string;
  readonly gitCommit: string;
}

/** First line of `command --version`, or "unavailable". */
function versionOf(command: readonly string[]): string {
  try {
    const result = Bun.spawnSync([...command], { stdout: "pipe", stderr: "pipe" });
    const text = (result.stdout.toString() || result.stderr.toString()).trim();
    return text.split("\n")[0] ?? "unavailable";
  } catch {
    return "unavailable";
  }
}

export function describeMachine(binaries: { etcd: string; h2load: string; raftkv: string | undefined }): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    os: `${os.type()} ${os.arch()}`,
    bun: Bun.version,
    etcd: versionOf([binaries.etcd, "--version"]),
    h2load: versionOf([binaries.h2load, "--version"]),
    raftkv: binaries.raftkv === undefined ? "not run" : versionOf([binaries.raftkv, "--version"]),
    raftkvBuiltAt: binaries.raftkv === undefined ? "not run" : builtAt(binaries.raftkv),
    gitCommit: versionOf(["git", "rev-parse", "--short", "HEAD"]),
  };
}

function builtAt(path: string): string {
  try {
    return statSync(path).mtime.toISOString();
  } catch {
    return "unknown";
  }
}
