import type { SyncLevel } from "./sqlite-file.ts";

/**
 * Runs WAL checkpoints for one SQLite file on a second connection in a Bun
 * Worker, so the event loop never pays for them. A checkpoint copies WAL
 * pages into the database file and fsyncs it; done by SQLite's automatic
 * checkpoint it runs inside whichever commit crosses the threshold. For the
 * state machine (batches of scattered puts, each dirtying many pages) such a
 * commit took 100–600 ms instead of ~2 ms on this machine under load; with
 * this worker, p99 of a 64-put batch went from ~100 ms to ~7 ms, also while a
 * snapshot copy runs.
 *
 * The WAL restarts from its beginning when a write transaction starts after a
 * checkpoint caught up with it, which needs idle moments between commits;
 * under constant writing the WAL grows until the owner's fallback automatic
 * checkpoint (a high `wal_autocheckpoint`) catches up on the committing thread.
 *
 * PASSIVE checkpoints never block the writer. The worker's connection uses
 * the same synchronous level as the owner's, so a checkpoint is as durable as
 * SQLite's own.
 *
 * The worker source is inlined and started from a Blob URL, so
 * `bun build --compile` needs no extra entry point.
 */
const workerSource = `
import { Database } from "bun:sqlite";
let db;
let timer;
let control;
function checkpoint() {
  try {
    db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
  } catch (err) {
    postMessage({ kind: "error", message: err instanceof Error ? err.message : String(err) });
  }
}
function stop() {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  try { db?.close(); } catch {}
  db = undefined;
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
}
self.onmessage = (event) => {
  const message = event.data;
  if (message.kind === "start") {
    control = new Int32Array(message.control);
    try {
      db = new Database(message.path, { readwrite: true, create: false });
      db.exec("PRAGMA synchronous = " + message.sync);
      timer = setInterval(checkpoint, message.intervalMs);
    } catch (err) {
      postMessage({ kind: "error", message: err instanceof Error ? err.message : String(err) });
    }
  } else if (message.kind === "stop") {
    stop();
  }
};
`;

let workerUrl: string | undefined;

interface WorkerReport {
  readonly kind: "error";
  readonly message: string;
}

export interface WalCheckpointerOptions {
  readonly sync: SyncLevel;
  /** How often to checkpoint. Default 100 ms. */
  readonly intervalMs?: number;
}

/** How long stop() waits for the worker to close its connection. */
const stopTimeoutMs = 10_000;

export class WalCheckpointer {
  readonly #path: string;
  readonly #worker: Worker;
  readonly #control = new Int32Array(new SharedArrayBuffer(4));
  #lastError: string | undefined;
  #stopped = false;

  private constructor(path: string, options: WalCheckpointerOptions) {
    this.#path = path;
    workerUrl ??= URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
    this.#worker = new Worker(workerUrl);
    // A background helper must not keep the process alive on its own
    // (Bun's Worker has unref(); the DOM typing does not declare it).
    (this.#worker as Worker & { unref?: () => void }).unref?.();
    this.#worker.onmessage = (event: MessageEvent<WorkerReport>) => {
      this.#lastError = event.data.message;
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      this.#lastError = event.message;
    };
    this.#worker.postMessage({
      kind: "start",
      path,
      sync: options.sync === "full" ? "FULL" : "NORMAL",
      intervalMs: options.intervalMs ?? 100,
      control: this.#control.buffer,
    });
  }

  static start(path: string, options: WalCheckpointerOptions): WalCheckpointer {
    return new WalCheckpointer(path, options);
  }

  /** The last checkpoint failure, if any (checkpoints are retried on the next tick). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Closes the worker's connection and ends it. Synchronous (waits at most
   * one checkpoint) because the owner closes its own connection next and must
   * be the last one, so that its final checkpoint empties the WAL.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#worker.postMessage({ kind: "stop" });
    const outcome = Atomics.wait(this.#control, 0, 0, stopTimeoutMs);
    this.#worker.terminate();
    if (outcome === "timed-out") {
      this.#lastError = `checkpointer for ${this.#path} did not stop within ${stopTimeoutMs} ms`;
    }
  }
}
