import { spawn, type Subprocess } from "bun";
import { resolve } from "node:path";

const mainScript = resolve(import.meta.dir, "../../src/cli/main.ts");

type ServeSubprocess = Subprocess<"ignore", "ignore", "pipe">;

/**
 * One running `raftkv serve` (the project's entry point, or a compiled
 * executable), started with the given arguments. Every stderr line goes to `onLine` as it arrives (partial
 * lines are carried over until their newline), for as long as the process
 * lives, so the child never blocks on a full pipe. Signals go to its PID only.
 */
export class ServeChild {
  private constructor(
    private readonly child: ServeSubprocess,
    /** The client port from the node's "serving" line. */
    readonly clientPort: number,
  ) {}

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
    const command = executable === undefined ? ["bun", mainScript] : [executable];
    const child = spawn([...command, "serve", ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env, cwd });
    const serving = Promise.withResolvers<number>();
    const deadline = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    void ServeChild.readLines(child, (text) => {
      onLine(text);
      const port = servingPort(text);
      if (port !== undefined) serving.resolve(port);
    }).then(() => serving.reject(new Error(`${label} exited before serving (or took over ${timeoutMs} ms):\n${describe()}`)));
    try {
      return new ServeChild(child, await serving.promise);
    } catch (error) {
      child.kill("SIGKILL");
      await child.exited;
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

  /** SIGSTOP: the process keeps its sockets, so what peers and clients send queues up. */
  pause(): void {
    this.child.kill("SIGSTOP");
  }

  resume(): void {
    this.child.kill("SIGCONT");
  }

  /** SIGTERM (a graceful stop: a leader hands over first), SIGKILL after `killAfterMs`; resolves with the exit code. */
  async terminate(killAfterMs: number): Promise<number> {
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), killAfterMs);
    try {
      return await this.child.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no shutdown path runs, as in a crash. */
  async kill(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.child.exited;
  }

  /** Resolves when stderr closes (the process exited). */
  private static async readLines(child: ServeSubprocess, onLine: (text: string) => void): Promise<void> {
    const reader = child.stderr.getReader();
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
