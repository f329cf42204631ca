import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { ServeChild, serveCommand } from "../../test/support/serve-child.ts";

/** A JSON log line of the node and when this process read it (performance.now()). */
export interface TimedLogLine {
  readonly atMs: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * One `raftkv serve` process of the entry point for a benchmark: fixed client
 * and Raft ports (so a restart keeps its address), JSON logs kept with their
 * arrival time, stopped by PID.
 */
export class BenchNode {
  private child: ServeChild | undefined;
  /** Set when the process ended without stop() (a crash or a refusal to start). */
  exitedOnItsOwn: number | null | undefined;
  readonly lines: TimedLogLine[] = [];
  /** performance.now() of the latest spawn. */
  spawnedAtMs = 0;

  /** `binary`: a compiled raftkv executable; without it, src/cli/main.ts under bun. */
  constructor(
    readonly id: string,
    readonly clientPort: number,
    private readonly serveFlags: readonly string[],
    private readonly binary?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  client(): Client<typeof KV> {
    return createClient(KV, createGrpcTransport({ baseUrl: `http://${this.endpoint}`, acceptCompression: [] }));
  }

  /** Spawns the process and returns at once; `servingLine()` waits for it to serve. */
  spawn(): void {
    if (this.child !== undefined) throw new Error(`${this.id} is already running`);
    this.spawnedAtMs = performance.now();
    const child = ServeChild.spawn({
      label: this.id,
      command: serveCommand(["--id", this.id, "--listen", this.endpoint, "--log-format", "json", ...this.serveFlags], this.binary),
      // Each JSON log line with the time it arrived.
      output: {
        onLine: (text) => {
          const atMs = performance.now();
          try {
            this.lines.push({ atMs, fields: JSON.parse(text) as Record<string, unknown> });
          } catch {
            this.lines.push({ atMs, fields: { msg: "(unparsed)", text } });
          }
        },
      },
    });
    this.child = child;
    this.exitedOnItsOwn = undefined;
    void child.exited.then((code) => {
      if (this.child === child) {
        this.child = undefined;
        this.exitedOnItsOwn = code;
      }
    });
  }

  /** The first "serving" line logged since `sinceMs`. */
  async servingLine(sinceMs: number, timeoutMs = 120_000): Promise<TimedLogLine> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.atMs >= sinceMs && l.fields.msg === "serving");
      if (line !== undefined) return line;
      if (this.child === undefined) throw new Error(`${this.id} exited before serving (code ${this.exitedOnItsOwn}):\n${this.tail()}`);
      if (performance.now() > deadline) throw new Error(`${this.id} did not serve within ${timeoutMs} ms`);
      await Bun.sleep(5);
    }
  }

  /** The last log lines, for error messages. */
  tail(): string {
    return this.lines
      .slice(-20)
      .map((l) => JSON.stringify(l.fields))
      .join("\n");
  }

  async stop(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    // SIGTERM waits for the shutdown (bounded, so a hung one cannot stall the benchmark).
    if (signal === "SIGKILL") await child.kill();
    else await child.terminate(120_000);
  }
}
