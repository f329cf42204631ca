import { Database } from "bun:sqlite";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Cluster } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { ServeChild } from "../support/serve-child.ts";

// Enough lines to find any event of a test run; older ones are dropped so a chatty node cannot grow memory.
const KEPT_LOG_LINES = 20_000;

/** One parsed JSON log line of a node. */
export type LogLine = Readonly<Record<string, unknown>> & { readonly msg?: string };

export interface ServeProcessOptions {
  readonly id: string;
  readonly dataDir: string;
  /** Flags after `serve --id --data-dir --listen` (raft ports, cluster, timings, snapshots). */
  readonly flags: readonly string[];
  readonly logLevel?: "debug" | "info" | "warn";
  /** How long a start may take before the process is killed and the start fails. */
  readonly startTimeoutMs?: number;
  /** Extra environment (e.g. RAFTKV_FAILPOINTS) on top of this process's. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * One `raftkv serve` process of the project's entry point with any flags,
 * restartable on the same data dir and client port. Its JSON log lines are
 * kept so tests can assert on events ("restored from a received snapshot").
 * Signals go to the recorded PID only.
 */
export class ServeProcess {
  private child: ServeChild | undefined;
  private clientPort = 0;
  private readonly lines: LogLine[] = [];

  constructor(private readonly options: ServeProcessOptions) {}

  get id(): string {
    return this.options.id;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  client(): Client<typeof KV> {
    return createClient(KV, createGrpcTransport({ baseUrl: `http://${this.endpoint}`, acceptCompression: [] }));
  }

  clusterClient(): Client<typeof Cluster> {
    return createClient(Cluster, createGrpcTransport({ baseUrl: `http://${this.endpoint}`, acceptCompression: [] }));
  }

  /** Log lines so far (all incarnations), oldest first. */
  logLines(): readonly LogLine[] {
    return this.lines;
  }

  hasLogged(message: string): boolean {
    return this.lines.some((line) => line.msg === message);
  }

  /** The last log index the node compacted away, read from its raft.db beside the running process (WAL allows a reader). */
  compactedLogIndex(): number {
    const db = new Database(join(this.dataDir, "raft.db"), { readonly: true });
    try {
      return db.query<{ compacted_index: number }, []>("SELECT compacted_index FROM log_boundary WHERE id = 1").get()?.compacted_index ?? 0;
    } finally {
      db.close();
    }
  }

  /** Starts and resolves once the node logs that it serves (client port bound). */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error(`${this.id} is already running`);
    const child = await ServeChild.start({
      label: this.id,
      args: [
        "--id",
        this.id,
        "--data-dir",
        this.dataDir,
        // Port 0 the first time; the same port on a restart, so the address the cluster recorded stays right.
        "--listen",
        `127.0.0.1:${this.clientPort}`,
        "--log-format",
        "json",
        "--log-level",
        this.options.logLevel ?? "info",
        ...this.options.flags,
      ],
      onLine: (text) => this.record(text),
      timeoutMs: this.options.startTimeoutMs ?? 20_000,
      describe: () => this.tail(),
      ...(this.options.env === undefined ? {} : { env: { ...process.env, ...this.options.env } }),
    });
    this.child = child;
    this.clientPort = child.clientPort;
  }

  /** SIGTERM: a graceful stop (SIGKILL after 30 s); resolves with the exit code. */
  async terminate(): Promise<number> {
    const child = this.child;
    if (child === undefined) return 0;
    this.child = undefined;
    return child.terminate(30_000);
  }

  /**
   * Resolves with the exit code once the process ends by itself (a failpoint
   * crash, a fatal error); rejects after `timeoutMs`, leaving it running.
   */
  async waitForExit(timeoutMs: number): Promise<number> {
    const child = this.child;
    if (child === undefined) throw new Error(`${this.id} is not running`);
    const timeout = Bun.sleep(timeoutMs).then(() => undefined);
    const code = await Promise.race([child.exited, timeout]);
    if (code === undefined) throw new Error(`${this.id} did not exit within ${timeoutMs} ms:\n${this.tail()}`);
    this.child = undefined;
    return code;
  }

  /** SIGKILL: no shutdown path runs, as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    await child.kill();
  }

  private record(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      // Not every line is ours (a crash trace from Bun, for one): keep it readable.
      line = { msg: "(unparsed)", text };
    }
    this.lines.push(line);
    if (this.lines.length > KEPT_LOG_LINES) this.lines.splice(0, this.lines.length - KEPT_LOG_LINES / 2);
  }

  private tail(): string {
    return this.lines
      .slice(-30)
      .map((line) => JSON.stringify(line))
      .join("\n");
  }
}
