import { openSync, closeSync, readFileSync } from "node:fs";
import type { Subprocess } from "bun";

/**
 * One server process the harness started. It is stopped by its own PID only
 * (SIGTERM, then SIGKILL after a grace period), never by name.
 */
export class ServerProcess {
  private constructor(
    readonly name: string,
    readonly logPath: string,
    private readonly child: Subprocess,
  ) {}

  static start(name: string, command: readonly string[], logPath: string): ServerProcess {
    const log = openSync(logPath, "a");
    try {
      const child = Bun.spawn([...command], { stdin: "ignore", stdout: log, stderr: log });
      return new ServerProcess(name, logPath, child);
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The last lines of the server's log, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    process.kill(this.pid, "SIGTERM");
    const stopped = await Promise.race([this.child.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
    if (!stopped && !this.exited) {
      process.kill(this.pid, "SIGKILL");
      await this.child.exited;
    }
  }
}
