import { appendFileSync, readFileSync, statSync } from "node:fs";
import { ServeChild, serveCommand } from "../support/serve-child.ts";
import { trackPid, untrackPid } from "./process-reaper.ts";

export type NodeState = "stopped" | "running" | "paused";

export type StopOutcome =
  | { readonly kind: "not-running" }
  | { readonly kind: "exited"; readonly code: number | null }
  | { readonly kind: "killed-after-grace" };

export interface NodeProcessOptions {
  /** The compiled raftkv executable. */
  readonly binary: string;
  readonly id: string;
  readonly dataDir: string;
  /** stdout and stderr of every incarnation are appended here. */
  readonly logFile: string;
  /** The Raft peer port (unused by a single node, reserved for the cluster engine). */
  readonly raftPort: number;
  /** Flags the cluster adds (e.g. --initial-cluster); empty for a single node. */
  readonly extraArgs: readonly string[];
  /** How long a start may take before it counts as a refusal. */
  readonly startTimeoutMs?: number;
}

/** A node that exited, or never answered /healthz, instead of serving. */
export class NodeStartError extends Error {
  constructor(
    readonly nodeId: string,
    message: string,
    readonly logTail: string,
  ) {
    super(`${nodeId}: ${message}\n--- log tail ---\n${logTail}`);
    this.name = "NodeStartError";
  }
}

/**
 * One raftkv process: start, SIGKILL, SIGSTOP/SIGCONT, graceful stop. The
 * client port is chosen by the kernel on the first start (--listen :0, read
 * back from the "serving" log line) and reused on restarts, so clients keep
 * their endpoint. Every signal goes to the recorded PID, never by name.
 * Each incarnation is a ServeChild writing to one log file across
 * incarnations (kept for a failed soak); every PID is tracked by the reaper,
 * and exits nobody asked for are counted as findings.
 */
export class NodeProcess {
  readonly id: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly raftPort: number;
  private readonly binary: string;
  private readonly extraArgs: readonly string[];
  private readonly startTimeoutMs: number;
  private child: ServeChild | undefined;
  private clientPort = 0;
  private incarnations = 0;
  private current: NodeState = "stopped";
  /** PIDs this driver ended on purpose; any other exit is the node's own doing. */
  private readonly endedOnPurpose = new Set<number>();
  /** Exits nobody asked for (a crash, a panic, an outside kill): each is a finding. */
  readonly unexpectedExits: string[] = [];
  /** The running incarnation was started to crash at a failpoint: its own exit is expected. */
  private armedToCrash = false;

  constructor(options: NodeProcessOptions) {
    this.id = options.id;
    this.dataDir = options.dataDir;
    this.logFile = options.logFile;
    this.raftPort = options.raftPort;
    this.binary = options.binary;
    this.extraArgs = options.extraArgs;
    this.startTimeoutMs = options.startTimeoutMs ?? 15_000;
  }

  get state(): NodeState {
    return this.current;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** host:port of the client API; throws before the first successful start. */
  get endpoint(): string {
    if (this.clientPort === 0) throw new Error(`${this.id}: no client port yet (never started)`);
    return `127.0.0.1:${this.clientPort}`;
  }

  /**
   * Starts the process and resolves once it answers GET /healthz with 200.
   * `failpoints` (RAFTKV_FAILPOINTS) arms crash points: the process is then
   * expected to die by itself (see awaitOwnExit).
   */
  async start(failpoints?: string): Promise<void> {
    const { child, logOffset } = this.spawnIncarnation(failpoints);
    try {
      this.clientPort = await this.awaitServing(child, logOffset);
    } catch (error) {
      this.forget();
      this.endedOnPurpose.add(child.pid);
      await child.kill();
      throw error;
    }
  }

  /**
   * Starts the process and kill -9s it `afterMs` later, whatever it is doing
   * then (opening SQLite, replaying the log, serving): a crash during recovery.
   */
  async startAndCrash(afterMs: number): Promise<void> {
    const { child } = this.spawnIncarnation();
    await Bun.sleep(afterMs);
    this.note(`SIGKILL pid ${child.pid} during start`);
    this.endedOnPurpose.add(child.pid);
    await child.kill();
    this.forget();
  }

  /**
   * Resolves true once a process armed with failpoints exits by itself
   * (it reached its crash point), false if it is still running after
   * `timeoutMs` (the point was not reached; the process keeps running).
   */
  async awaitOwnExit(timeoutMs: number): Promise<boolean> {
    const child = this.requireChild("await its exit");
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(timeoutMs).then(() => false)]);
    if (exited) this.forget();
    return exited;
  }

  private spawnIncarnation(failpoints?: string): { child: ServeChild; logOffset: number } {
    if (this.child !== undefined) throw new Error(`${this.id}: already running as pid ${this.child.pid}`);
    this.incarnations++;
    const logOffset = this.note(`start #${this.incarnations}${failpoints === undefined ? "" : ` with RAFTKV_FAILPOINTS=${failpoints}`}`);
    this.armedToCrash = failpoints !== undefined;
    const args = [
      "--id",
      this.id,
      "--data-dir",
      this.dataDir,
      "--listen",
      `127.0.0.1:${this.clientPort}`,
      "--raft-listen",
      `127.0.0.1:${this.raftPort}`,
      // info (not warn) because the "serving" line carries the bound port.
      "--log-level",
      "info",
      "--log-format",
      "json",
      ...this.extraArgs,
    ];
    const child = ServeChild.spawn({
      label: this.id,
      command: serveCommand(args, this.binary),
      output: { logFile: this.logFile },
      ...(failpoints === undefined ? {} : { env: { ...process.env, RAFTKV_FAILPOINTS: failpoints } }),
    });
    this.child = child;
    trackPid(child.pid);
    // PIDs get reused over a long soak: this incarnation has not been ended by anyone yet.
    this.endedOnPurpose.delete(child.pid);
    const armed = this.armedToCrash;
    void child.exited.then(() => {
      if (this.endedOnPurpose.has(child.pid) || armed) return;
      this.unexpectedExits.push(
        `${this.id} pid ${child.pid} exited on its own (code ${child.exitCode}, signal ${child.signalCode}) at ${new Date().toISOString()}`,
      );
      if (this.child === child) this.forget();
    });
    this.current = "running";
    appendFileSync(this.logFile, `=== chaos: ${this.id} pid ${child.pid}\n`);
    return { child, logOffset };
  }

  /** kill -9 and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.requireChild("kill");
    this.note(`SIGKILL pid ${child.pid}`);
    this.endedOnPurpose.add(child.pid);
    await child.kill();
    this.forget();
  }

  pause(): void {
    const child = this.requireChild("pause");
    this.note(`SIGSTOP pid ${child.pid}`);
    child.pause();
    this.current = "paused";
  }

  resume(): void {
    const child = this.requireChild("resume");
    this.note(`SIGCONT pid ${child.pid}`);
    child.resume();
    this.current = "running";
  }

  /**
   * SIGTERM with a bounded wait, then SIGKILL. Safe to call in any state.
   * Says how it ended, so a shutdown that hangs or fails can be reported.
   */
  async stop(graceMs = 5_000): Promise<StopOutcome> {
    const child = this.child;
    if (child === undefined) return { kind: "not-running" };
    this.note(`SIGTERM pid ${child.pid}`);
    this.endedOnPurpose.add(child.pid);
    if (this.current === "paused") child.resume();
    const exited = await child.stop(graceMs);
    this.forget();
    return exited ? { kind: "exited", code: child.exitCode } : { kind: "killed-after-grace" };
  }

  // Its own loop rather than `eventually`: a process that exits ends the wait
  // at once, as a NodeStartError the nemesis tells apart from other failures.
  private async awaitServing(child: ServeChild, logOffset: number): Promise<number> {
    const deadline = performance.now() + this.startTimeoutMs;
    let port = 0;
    while (performance.now() < deadline) {
      if (child.hasExited) {
        throw new NodeStartError(this.id, `exited (code ${child.exitCode}, signal ${child.signalCode}) before serving`, this.logSince(logOffset));
      }
      if (port === 0) port = child.servingPort() ?? 0;
      if (port !== 0 && (await healthy(port))) return port;
      await Bun.sleep(25);
    }
    throw new NodeStartError(this.id, `not healthy within ${this.startTimeoutMs} ms`, this.logSince(logOffset));
  }

  private logSince(offset: number): string {
    try {
      return readFileSync(this.logFile).subarray(offset).toString("utf8").slice(-4000);
    } catch {
      return "";
    }
  }

  /** Writes a driver marker into the node's log; returns the log size before it. */
  private note(event: string): number {
    let size = 0;
    try {
      size = statSync(this.logFile).size;
    } catch {
      // first incarnation: no log yet
    }
    appendFileSync(this.logFile, `=== chaos ${new Date().toISOString()}: ${this.id} ${event}\n`);
    return size;
  }

  private requireChild(action: string): ServeChild {
    if (this.child === undefined) throw new Error(`${this.id}: cannot ${action}, the node is not running`);
    return this.child;
  }

  private forget(): void {
    if (this.child !== undefined) untrackPid(this.child.pid);
    this.child = undefined;
    this.current = "stopped";
  }
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
