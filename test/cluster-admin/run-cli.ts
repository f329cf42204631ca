import { spawn } from "bun";
import { resolve } from "node:path";

const mainScript = resolve(import.meta.dir, "../../src/cli/main.ts");

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `raftkv <args>` (the project's entry point) to completion. */
export async function runCli(args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  const child = spawn(["bun", mainScript, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Short Raft timings for loopback tests on a loaded machine: elections within about a second. */
export const fastRaftArgs = ["--heartbeat-timeout", "500ms", "--election-timeout", "500ms", "--leader-lease-timeout", "250ms"] as const;
