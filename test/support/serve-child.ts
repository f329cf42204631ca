import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { type Subprocess, spawn } from "bun";

const mainScript = resolve(import.meta.dir, "../../src/cli/main.ts");

/** Where a child's output goes. */
export type ServeOutput =
  /** stderr piped, each line to `onLine` as it arrives (partial lines carried over); stdout ignored. */
  | { readonly onLine: (text: string) => void }
  /** stdout and stderr appended to this file by the child itself (kept across restarts, and when the driver dies). */
  | { readonly logFile: string };

export interface ServeSpawnOptions {
  /** Names the process in error messages. */
  readonly label: string;
  /** The whole command line: `serveCommand(...)` for raftkv; for the benchmark's comparison, another server's own (etcd). */
  readonly command: readonly string[];
  readonly output: ServeOutput;
  /** The child's environment; this process's when omitted. */
  readonly env?: Record<string, string | undefined>;
  /** The child's working directory; this process's when omitted. */
  readonly cwd?: string;
}

/** `raftkv serve <args>`: `bun src/cli/main.ts`, or `executable` (e.g. the compiled dist/raftkv). */
export function serveCommand(args: readonly string[], executable?: string): string[] {
  return [...(executable === undefined ? ["bun", mainScript] : [executable]), "serve", ...args];
}

/**
 * The one wrapper for a server child process: `raftkv serve` in tests, the
 * cluster and chaos drivers and the benchmarks (and etcd beside it there).
 * A piped stderr is read for as long as the process lives, so the child
 * never blocks on a full pipe. Signals go to its PID only, never by name.
 */
export class ServeChild {
  /** The client port once the "serving" line was seen. */
  private port: number | undefined;
  /** Resolves when the output is all read (a piped stderr closed), or the process exited (a log file). */
  private outputClosed: Promise<void>;

  private constructor(
    readonly label: string,
    private readonly child: Subprocess,
    private readonly logFile: string | undefined,
    /** Log file size at spawn: this incarnation's lines start there. */
    private readonly logOffset: number,
  ) {
    this.outputClosed = child.exited.then(() => undefined);
  }

  /** Starts the process and returns at once; `servingPort()` tells when it serves. */
  static spawn(options: ServeSpawnOptions): ServeChild {
    const { label, command, output, env, cwd } = options;
    if ("logFile" in output) {
      const offset = fileSize(output.logFile);
      const fd = openSync(output.logFile, "a");
      try {
        const child = spawn([...command], { stdin: "ignore", stdout: fd, stderr: fd, env, cwd });
        return new ServeChild(label, child, output.logFile, offset);
      } finally {
        // The child holds its own copy of the descriptor.
        closeSync(fd);
      }
    }
    const child = spawn([...command], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env, cwd });
    const wrapper = new ServeChild(label, child, undefined, 0);
    wrapper.outputClosed = readLines(child.stderr, (text) => {
      if (wrapper.port === undefined) wrapper.port = servingPort(text);
      output.onLine(text);
    });
    return wrapper;
  }

  /**
   * Spawns `raftkv serve <args>` (which must include `--log-format json`)
   * and resolves once it logs "serving". A process that exits first, or does
   * not serve within `timeoutMs`, is killed and the start fails naming
   * `label` and showing `describe()` (e.g. the node's last log lines).
   */
  static async start(options: {
    readonly label: string;
    readonly args: readonly string[];
    readonly onLine: (text: string) => void;
    readonly timeoutMs: number;
    readonly describe: () => string;
    /** The child's environment; this process's when omitted. */
    readonly env?: Record<string, string | undefined>;
    /** The raftkv to run (e.g. a compiled executable); `bun src/cli/main.ts` when omitted. */
    readonly executable?: string;
    /** The child's working directory; this process's when omitted. */
    readonly cwd?: string;
  }): Promise<ServeChild> {
    const { label, args, onLine, timeoutMs, describe, env, executable, cwd } = options;
    const serving = Promise.withResolvers<void>();
    const child = ServeChild.spawn({
      label,
      command: serveCommand(args, executable),
      output: {
        onLine: (text) => {
          onLine(text);
          if (servingPort(text) !== undefined) serving.resolve();
        },
      },
      env,
      cwd,
    });
    const deadline = setTimeout(() => child.child.kill("SIGKILL"), timeoutMs);
    // Once stderr closes, every line (the last error too) has reached `describe()`.
    void child.outputClosed.then(() => serving.reject(new Error(`${label} exited before serving (or took over ${timeoutMs} ms):\n${describe()}`)));
    try {
      await serving.promise;
      return child;
    } catch (error) {
      await child.kill();
      throw error;
    } finally {
      clearTimeout(deadline);
    }
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Resolves with the exit code once the process ends on its own (or by a signal). */
  get exited(): Promise<number> {
    return this.child.exited;
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  get signalCode(): Subprocess["signalCode"] {
    return this.child.signalCode;
  }

  /** The client port from the node's "serving" line; throws before it was logged. */
  get clientPort(): number {
    const port = this.servingPort();
    if (port === undefined) throw new Error(`${this.label}: no "serving" line yet`);
    return port;
  }

  /** The client port of the "serving" line this incarnation logged (`--log-format json`); undefined until then. */
  servingPort(): number | undefined {
    if (this.port === undefined && this.logFile !== undefined) {
      this.port = this.logSince()
        .split("\n")
        .map(servingPort)
        .find((p) => p !== undefined);
    }
    return this.port;
  }

  /** The last lines this incarnation wrote to its log file, for error messages. */
  logTail(lines = 20): string {
    if (this.logFile === undefined) return "(output not kept in a file)";
    return this.logSince().trimEnd().split("\n").slice(-lines).join("\n") || "(no log)";
  }

  /** SIGSTOP: the process keeps its sockets, so what peers and clients send queues up. */
  pause(): void {
    this.child.kill("SIGSTOP");
  }

  resume(): void {
    this.child.kill("SIGCONT");
  }

  /** SIGTERM (a graceful stop: a leader hands over first), SIGKILL after `graceMs`; resolves true if it exited within the grace. */
  async stop(graceMs: number): Promise<boolean> {
    if (this.hasExited) return true;
    this.child.kill("SIGTERM");
    const exited = await Promise.race([this.child.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
    if (!exited) {
      this.child.kill("SIGKILL");
      await this.child.exited;
    }
    return exited;
  }

  /** SIGTERM, SIGKILL after `killAfterMs`; resolves with the exit code. */
  async terminate(killAfterMs: number): Promise<number> {
    await this.stop(killAfterMs);
    return this.child.exited;
  }

  /** SIGKILL: no shutdown path runs, as in a crash. */
  async kill(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.child.exited;
  }

  private logSince(): string {
    if (this.logFile === undefined) return "";
    try {
      return readFileSync(this.logFile).subarray(this.logOffset).toString("utf8");
    } catch {
      return "";
    }
  }
}

/** Resolves when the stream closes (the process exited). */
async function readLines(stream: ReadableStream<Uint8Array>, onLine: (text: string) => void): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
    if (done) return;
    pending += decoder.decode(value, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (text.trim() !== "") onLine(text);
      newline = pending.indexOf("\n");
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The client port of a JSON "serving" line; undefined for any other line (a failing start prints one plain "error: ..." line). */
export function servingPort(text: string): number | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(text) as { msg?: unknown; listen?: unknown };
    if (parsed.msg !== "serving" || typeof parsed.listen !== "string") return undefined;
    return Number(parsed.listen.split(":").pop());
  } catch {
    return undefined;
  }
}
