import { resolve } from "node:path";
import { spawn } from "bun";

const mainScript = resolve(import.meta.dir, "../../src/cli/main.ts");

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** The process is SIGKILLed after this long (the result then shows a signal's exit code). */
  readonly timeoutMs?: number;
  /** Written to the command's stdin; none (stdin closed) when omitted. */
  readonly stdin?: string;
  /** Set on top of this process's environment (e.g. "" to blank a RAFTKV_* variable the runner has). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `raftkv <args>` (the project's entry point) to completion, collecting its output and exit code. */
export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  const { timeoutMs = 30_000, stdin, env } = options;
  const child = spawn(["bun", mainScript, ...args], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
